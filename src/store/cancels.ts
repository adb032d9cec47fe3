// Requests to stop a run (the label removed, `/stamina stop`, a suspended or
// removed installation): a run no worker has started ends at once; one with
// work to keep is flagged for the worker that holds or next claims it.
import { writeTransaction, type StoreContext } from "./database.ts";
import { finishRunIn, type RunRecords } from "./runs.ts";
import { AWAITING_STATES, HELD_STATES, TERMINAL_STATES } from "./schema.ts";
import { toRun } from "./rows.ts";
import type { Run } from "./types.ts";

export type CancelResult =
  | { outcome: "cancelled"; run: Run }
  | { outcome: "requested"; run: Run }
  | { outcome: "finished"; run: Run };

export class CancelRecords {
  constructor(
    private readonly ctx: StoreContext,
    private readonly runs: RunRecords,
  ) {}

  /**
   * Asks a run to stop. A run no worker has started ends at once; one with work to keep (held
   * by a worker, or resumable from a checkpoint) is flagged, and the worker that holds or next
   * claims it pushes the work so far before it ends.
   */
  async request(
    runId: string,
    by: string,
    reason: string,
    /** End it now unless a worker holds it (its work cannot be pushed anyway: a suspension). */
    options: { unlessHeld?: boolean } = {},
  ): Promise<CancelResult> {
    return writeTransaction(this.ctx, async (trx) => {
      const run = await this.runs.mustGet(runId, trx);
      if (TERMINAL_STATES.includes(run.state)) return { outcome: "finished", run };
      const now = this.ctx.now();
      const held =
        HELD_STATES.includes(run.state) && run.leaseExpiresAt !== null && run.leaseExpiresAt >= now;
      if ((run.state === "queued" && run.attempts === 0) || (options.unlessHeld && !held)) {
        await finishRunIn(trx, { runId, state: "cancelled", outcome: `stopped: ${reason}`, now });
        await trx
          .updateTable("runs")
          .set({ cancel_requested_at: now, cancel_requested_by: by, cancel_reason: reason })
          .where("id", "=", runId)
          .execute();
        return { outcome: "cancelled", run: await this.runs.mustGet(runId, trx) };
      }
      const waiting = run.state === "queued" || AWAITING_STATES.includes(run.state);
      await trx
        .updateTable("runs")
        .set({
          cancel_requested_at: now,
          cancel_requested_by: by,
          cancel_reason: reason,
          // A waiting run goes back to the queue now, so a worker pushes its work and ends it.
          ...(waiting ? { state: "queued" as const, not_before: null } : {}),
          updated_at: now,
        })
        .where("id", "=", runId)
        .execute();
      return { outcome: "requested", run: await this.runs.mustGet(runId, trx) };
    });
  }

  /** The runs this worker holds that someone asked to stop. */
  async requested(workerId: string): Promise<Run[]> {
    const rows = await this.ctx.db
      .selectFrom("runs")
      .selectAll()
      .where("lease_owner", "=", workerId)
      .where("cancel_requested_at", "is not", null)
      .execute();
    return rows.map(toRun);
  }
}
