// The step checkpoint in the database: the transcript rows a step appended and
// the run's latest state, base commit and working diff, in one transaction.
// The transcript is append-only; the checkpoint row holds only the latest.
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import type Anthropic from "@anthropic-ai/sdk";
import type { Kysely } from "kysely";
import type { AgentSnapshot } from "../agent/ports.ts";
import { writeTransaction, type StoreContext } from "./database.ts";
import { assertHolder } from "./leases.ts";
import { chargeStep } from "./spend.ts";
import type { Database } from "./schema.ts";
import type { CheckpointInput, StoredCheckpoint } from "./types.ts";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export class CheckpointRecords {
  constructor(private readonly ctx: StoreContext) {}

  /** Persists one step's checkpoint; throws LeaseLost when `workerId` no longer holds the run. */
  async save(runId: string, workerId: string, input: CheckpointInput): Promise<void> {
    // Compressed before the transaction: no lock is held while zlib works.
    const diff = input.diff === null ? null : await gzipAsync(input.diff);
    await writeTransaction(this.ctx, async (trx) => {
      await assertHolder(trx, this.ctx.engine, runId, workerId);
      const now = this.ctx.now();
      // Charged before the checkpoint is replaced: a first charge reads what it recorded.
      await chargeStep(trx, runId, input.state.spent.dollars, now);
      await writeCheckpoint(trx, runId, input, diff, now);
    });
  }

  /**
   * The working diff at the run's last step checkpoint (against its base commit), without the
   * transcript: what the run pages show. Undefined before the first step.
   */
  async latestDiff(
    runId: string,
  ): Promise<{ step: number; baseSha: string; diff: Buffer } | undefined> {
    const row = await this.ctx.db
      .selectFrom("run_checkpoints")
      .select(["step", "base_sha", "diff"])
      .where("run_id", "=", runId)
      .executeTakeFirst();
    if (!row) return undefined;
    const diff = await gunzipAsync(Buffer.from(row.diff, "base64"));
    return { step: Number(row.step), baseSha: row.base_sha, diff };
  }

  /** The run's last step checkpoint with the transcript up to it; undefined before its first step. */
  async load(runId: string): Promise<StoredCheckpoint | undefined> {
    return readCheckpoint(this.ctx.db, runId);
  }
}

/** Writes one step's checkpoint inside the caller's transaction (which holds the run). */
async function writeCheckpoint(
  trx: Kysely<Database>,
  runId: string,
  input: CheckpointInput,
  gzipped: Buffer | null,
  nowIso: string,
): Promise<void> {
  const last = await trx
    .selectFrom("run_transcript")
    .select((eb) => eb.fn.max("idx").as("idx"))
    .where("run_id", "=", runId)
    .executeTakeFirst();
  const next = last?.idx === null || last?.idx === undefined ? 0 : Number(last.idx) + 1;
  if (input.added.length > 0) {
    await trx
      .insertInto("run_transcript")
      .values(
        input.added.map((message, i) => ({
          run_id: runId,
          idx: next + i,
          step: input.step,
          message: JSON.stringify(message),
        })),
      )
      .execute();
  }
  const row = {
    step: input.step,
    state: JSON.stringify(input.state),
    base_sha: input.baseSha,
    created_at: nowIso,
  };
  if (gzipped === null || input.diff === null) {
    // The working tree is as it was at the last checkpoint: its diff stays, unwritten.
    const kept = await trx
      .updateTable("run_checkpoints")
      .set(row)
      .where("run_id", "=", runId)
      .where("base_sha", "=", input.baseSha)
      .executeTakeFirst();
    if (Number(kept.numUpdatedRows) !== 1) {
      throw new Error(
        `run ${runId} has no checkpoint on ${input.baseSha} whose diff could be kept`,
      );
    }
  } else {
    const full = { ...row, diff: gzipped.toString("base64"), diff_bytes: input.diff.length };
    await trx
      .insertInto("run_checkpoints")
      .values({ run_id: runId, ...full })
      .onConflict((oc) => oc.column("run_id").doUpdateSet(full))
      .execute();
  }
  await trx
    .updateTable("runs")
    .set({ steps_used: input.step, updated_at: nowIso })
    .where("id", "=", runId)
    .execute();
}

async function readCheckpoint(
  db: Kysely<Database>,
  runId: string,
): Promise<StoredCheckpoint | undefined> {
  const row = await db
    .selectFrom("run_checkpoints")
    .selectAll()
    .where("run_id", "=", runId)
    .executeTakeFirst();
  if (!row) return undefined;
  const step = Number(row.step);
  const transcript = await db
    .selectFrom("run_transcript")
    .select("message")
    .where("run_id", "=", runId)
    .where("step", "<=", step)
    .orderBy("idx")
    .execute();
  return {
    step,
    messages: transcript.map((t) => JSON.parse(t.message) as Anthropic.MessageParam),
    state: JSON.parse(row.state) as AgentSnapshot,
    baseSha: row.base_sha,
    diff: await gunzipAsync(Buffer.from(row.diff, "base64")),
  };
}
