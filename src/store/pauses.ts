// Runs that wait for a person (`ask_human`, a watchdog pause, a change held for
// approval, a budget run out): parked with no worker holding them, found again
// when they have waited too long, and taken up again by the answer, which is
// kept with the step it answers for the resumed loop to read.
import type { StoreContext } from "./database.ts";
import { writeTransaction } from "./database.ts";
import { insertTrigger } from "./new-run.ts";
import type { RunRecords } from "./runs.ts";
import { AWAITING_STATES } from "./schema.ts";
import { toRun } from "./rows.ts";
import type { Run } from "./types.ts";

/** A person's answer to a paused run: who, in which delivery, and the text. */
export interface RunAnswer {
  deliveryId: string;
  by: string;
  text: string;
}

export class PauseRecords {
  constructor(
    private readonly ctx: StoreContext,
    private readonly runs: RunRecords,
  ) {}

  /** The run waits for a person: no worker holds it, and no worker claims it until it is answered. */
  async pause(
    runId: string,
    workerId: string,
    state: "awaiting_reply" | "awaiting_approval",
  ): Promise<boolean> {
    const result = await this.ctx.db
      .updateTable("runs")
      .set({ state, lease_owner: null, lease_expires_at: null, updated_at: this.ctx.now() })
      .where("id", "=", runId)
      .where("lease_owner", "=", workerId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Runs that have waited for a person since before `cutoff` (their last change, the pause). */
  async waitingSince(cutoff: Date): Promise<Run[]> {
    const rows = await this.ctx.db
      .selectFrom("runs")
      .selectAll()
      .where("state", "in", AWAITING_STATES)
      .where("updated_at", "<", cutoff.toISOString())
      .orderBy("updated_at")
      .execute();
    return rows.map(toRun);
  }

  /**
   * A paused run got its answer: back to the queue, to resume from its checkpoint. The answer,
   * when given, is kept with the step it answers, for the resumed loop to read (`pendingAnswer`).
   * False when the run was not waiting (someone answered first).
   */
  async answer(runId: string, answer?: RunAnswer): Promise<boolean> {
    return writeTransaction(this.ctx, async (trx) => {
      const result = await trx
        .updateTable("runs")
        .set({ state: "queued", not_before: null, updated_at: this.ctx.now() })
        .where("id", "=", runId)
        .where("state", "in", AWAITING_STATES)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      if (answer) {
        const checkpoint = await trx
          .selectFrom("run_checkpoints")
          .select("step")
          .where("run_id", "=", runId)
          .executeTakeFirst();
        await insertTrigger(trx, {
          runId,
          deliveryId: answer.deliveryId,
          requestedBy: answer.by,
          data: { answer: answer.text, step: checkpoint?.step ?? 0 },
          now: this.ctx.now(),
        });
      }
      return true;
    });
  }

  /** The answer to the pause after `step`, while no later step has been checkpointed. */
  async pendingAnswer(
    runId: string,
    step: number,
  ): Promise<Omit<RunAnswer, "deliveryId"> | undefined> {
    const triggers = await this.runs.triggers(runId);
    for (const trigger of triggers.reverse()) {
      const data = trigger.data as { answer?: unknown; step?: unknown };
      if (typeof data.answer === "string" && data.step === step) {
        return { by: trigger.requestedBy, text: data.answer };
      }
    }
    return undefined;
  }
}
