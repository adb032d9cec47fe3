// Claiming the next run for a worker: the oldest queued run whose retry time
// has come, or a run whose worker stopped renewing its lease, within the
// global and per-installation caps, taken first from the installation that
// holds the fewest runs (so a burst from one does not starve the others). On PostgreSQL the candidate row is taken
// with FOR UPDATE SKIP LOCKED, and an advisory lock serialises the cap check
// (two claims counting at once would both see room for one more).
import { sql, type Kysely } from "kysely";
import { writeTransaction, type OpenedDatabase } from "./database.ts";
import { HELD_STATES, type Database } from "./schema.ts";

export interface ClaimLimits {
  /** Runs held by all workers together (sharing this database). */
  global: number;
  /** Runs of one installation held at once. */
  perInstallation: number;
}

export const NO_LIMITS: ClaimLimits = { global: Infinity, perInstallation: Infinity };

/** Any constant: the key of the advisory lock that claims take on PostgreSQL. */
const CLAIM_LOCK = 0x5374616d; // "Stam"

/** Claims a run for `workerId` until `now + leaseMs`; its id, or undefined when none may start. */
export async function claimRun(
  opened: OpenedDatabase,
  args: {
    workerId: string;
    leaseMs: number;
    now: Date;
    limits: ClaimLimits;
    /** Runs the claiming worker is carrying out: never claimed again, whatever their lease says. */
    exclude?: readonly string[];
  },
): Promise<{ id: string; takeover: boolean } | undefined> {
  const nowIso = args.now.toISOString();
  return writeTransaction(opened, async (trx) => {
    if (opened.engine === "postgres") {
      await sql`select pg_advisory_xact_lock(${CLAIM_LOCK})`.execute(trx);
    }
    const held = await heldPerInstallation(trx, nowIso);
    const total = held.reduce((sum, h) => sum + h.count, 0);
    if (total >= args.limits.global) return undefined;
    const full = held.filter((h) => h.count >= args.limits.perInstallation).map((h) => h.id);

    let query = trx
      .selectFrom("runs")
      .select(["id", "state"])
      .where((eb) =>
        eb.or([
          eb.and([
            eb("state", "=", "queued"),
            // A follow-up waiting for its pull request's active run has no active key yet.
            eb("active_key", "is not", null),
            eb.or([eb("not_before", "is", null), eb("not_before", "<=", nowIso)]),
          ]),
          eb.and([eb("state", "in", HELD_STATES), eb("lease_expires_at", "<", nowIso)]),
        ]),
      )
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("installations")
              .select("installations.id")
              .whereRef("installations.id", "=", "runs.installation_id")
              .where("installations.suspended_at", "is not", null),
          ),
        ),
      )
      // The installation holding the fewest runs goes first, then the oldest run: one
      // installation's burst does not hold every slot its cap allows while others wait.
      .$if(held.length > 0, (q) => q.orderBy(fewestHeldFirst(held)))
      .orderBy("created_at")
      .orderBy("id")
      .limit(1);
    if (full.length > 0) query = query.where("installation_id", "not in", full);
    if (args.exclude && args.exclude.length > 0) query = query.where("id", "not in", args.exclude);
    if (opened.engine === "postgres") query = query.forUpdate().skipLocked();
    const candidate = await query.executeTakeFirst();
    if (!candidate) return undefined;

    await trx
      .updateTable("runs")
      .set({
        state: candidate.state === "queued" ? "preparing" : candidate.state,
        lease_owner: args.workerId,
        lease_expires_at: new Date(args.now.getTime() + args.leaseMs).toISOString(),
        attempts: (eb) => eb("attempts", "+", 1),
        not_before: null,
        updated_at: nowIso,
      })
      .where("id", "=", candidate.id)
      .execute();
    // A run not queued was held by a worker whose lease ran out: this one takes it over.
    return { id: candidate.id, takeover: candidate.state !== "queued" };
  });
}

/** An ORDER BY term: the runs the candidate's installation holds (ids and counts are our own integers). */
function fewestHeldFirst(held: Array<{ id: number; count: number }>) {
  const cases = held.map((h) => sql`when ${sql.lit(h.id)} then ${sql.lit(h.count)}`);
  return sql<number>`case installation_id ${sql.join(cases, sql` `)} else 0 end`;
}

async function heldPerInstallation(
  db: Kysely<Database>,
  nowIso: string,
): Promise<Array<{ id: number; count: number }>> {
  const rows = await db
    .selectFrom("runs")
    .select(["installation_id", (eb) => eb.fn.countAll<number | string>().as("count")])
    .where("state", "in", HELD_STATES)
    .where("lease_owner", "is not", null)
    .where("lease_expires_at", ">=", nowIso)
    .groupBy("installation_id")
    .execute();
  return rows.map((r) => ({ id: Number(r.installation_id), count: Number(r.count) }));
}
