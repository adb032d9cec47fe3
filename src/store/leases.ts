// Leases: a worker claims a run (claim.ts), keeps it by a heartbeat, and hands
// it back to the queue. Every write a run's worker makes is fenced by its
// lease: a worker that lost the run (another one took it) touches nothing.
import type { Kysely } from "kysely";
import { claimRun, NO_LIMITS, type ClaimLimits } from "./claim.ts";
import type { Engine, StoreContext } from "./database.ts";
import type { RunRecords } from "./runs.ts";
import type { Database } from "./schema.ts";
import type { Run } from "./types.ts";

/** The worker no longer holds the run: another worker owns it now, so this one must touch nothing. */
export class LeaseLost extends Error {
  constructor() {
    super("the worker lost the run's lease");
    this.name = "LeaseLost";
  }
}

/** Throws LeaseLost unless `workerId` holds the run (inside the caller's write transaction). */
export async function assertHolder(
  trx: Kysely<Database>,
  engine: Engine,
  runId: string,
  workerId: string,
): Promise<void> {
  let query = trx.selectFrom("runs").select("lease_owner").where("id", "=", runId);
  if (engine === "postgres") query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (row?.lease_owner !== workerId) throw new LeaseLost();
}

export class LeaseRecords {
  constructor(
    private readonly ctx: StoreContext,
    private readonly runs: RunRecords,
  ) {}

  /**
   * Claims the oldest run a worker may start (queued and due, or abandoned by its worker) for
   * `workerId`, within the caps. Two workers never get the same run.
   */
  async claimNext(
    workerId: string,
    leaseMs: number,
    limits: ClaimLimits = NO_LIMITS,
    /** Told whether the run was taken over from a worker whose lease ran out. */
    onClaimed?: (takeover: boolean) => void,
    /**
     * The runs this worker is carrying out: its own lease on one may look expired (a heartbeat
     * held up, the clock stepped forward), but claiming it again would run it twice.
     */
    exclude: readonly string[] = [],
  ): Promise<Run | undefined> {
    const claimed = await claimRun(this.ctx, {
      workerId,
      leaseMs,
      now: this.ctx.clock(),
      limits,
      exclude,
    });
    if (claimed === undefined) return undefined;
    onClaimed?.(claimed.takeover);
    return this.runs.get(claimed.id);
  }

  /** The leases not yet expired: a worker holds these runs now (or held them until it died). */
  async live(): Promise<Array<{ runId: string; workerId: string; expiresAt: string }>> {
    const rows = await this.ctx.db
      .selectFrom("runs")
      .select(["id", "lease_owner", "lease_expires_at"])
      .where("lease_owner", "is not", null)
      .where("lease_expires_at", ">=", this.ctx.now())
      .orderBy("lease_expires_at", "desc")
      .execute();
    return rows.map((r) => ({
      runId: r.id,
      workerId: r.lease_owner ?? "",
      expiresAt: r.lease_expires_at ?? "",
    }));
  }

  /** Extends the lease; false when the worker lost it (another worker took the run). */
  async heartbeat(runId: string, workerId: string, leaseMs: number): Promise<boolean> {
    const now = this.ctx.clock();
    const result = await this.ctx.db
      .updateTable("runs")
      .set({ lease_expires_at: new Date(now.getTime() + leaseMs).toISOString() })
      .where("id", "=", runId)
      .where("lease_owner", "=", workerId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Puts a run this worker holds back in the queue (for any worker), at once or after `notBefore`. */
  async release(
    runId: string,
    workerId: string,
    options: { notBefore?: Date; retry?: boolean } = {},
  ): Promise<boolean> {
    const result = await this.ctx.db
      .updateTable("runs")
      .set((eb) => ({
        state: "queued",
        lease_owner: null,
        lease_expires_at: null,
        not_before: options.notBefore?.toISOString() ?? null,
        retries: options.retry ? eb("retries", "+", 1) : eb.ref("retries"),
        updated_at: this.ctx.now(),
      }))
      .where("id", "=", runId)
      .where("lease_owner", "=", workerId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
