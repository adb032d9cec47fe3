// `/stamina retry` in the store: the last run of an issue, and a new run that
// continues it from its last step checkpoint, created in one transaction with
// the earlier run's branch, pull request, base and head commits, transcript
// and agent state, so the new run's first attempt restores the workspace as a
// resumed run does. The earlier run is finished and stays as it was.
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";
import type { OpenedDatabase } from "./database.ts";
import type { CreateRunResult, RunRecords } from "./runs.ts";
import { threadKey, toRun } from "./rows.ts";
import type { NewRun, Run } from "./types.ts";

const gzipAsync = promisify(gzip);

/** Transcript rows copied per insert (well under SQLite's limit on bound values). */
const COPY_CHUNK = 200;

export class RetryRecords {
  constructor(
    private readonly opened: OpenedDatabase,
    private readonly runs: RunRecords,
  ) {}

  /** The issue's newest run (the one a retry would continue), whatever its state. */
  async lastOn(owner: string, repo: string, issueNumber: number): Promise<Run | undefined> {
    const row = await this.opened.db
      .selectFrom("runs")
      .selectAll()
      .where("owner", "=", owner)
      .where("repo", "=", repo)
      .where("issue_number", "=", issueNumber)
      .where("kind", "=", "issue")
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ? toRun(row) : undefined;
  }

  /**
   * Queues a run on `from`'s issue that continues `from` (finished): unless the issue has an
   * active run, as `runs.create`. `input.config` is the new run's (its budget included).
   */
  async create(
    from: Run,
    input: NewRun,
    options: { holdMs?: number } = {},
  ): Promise<CreateRunResult> {
    return this.runs.create(
      { ...input, continues: from.id },
      { ...options, within: (trx, id) => copyProgress(trx, from, id) },
    );
  }
}

async function copyProgress(trx: Kysely<Database>, from: Run, to: string): Promise<void> {
  const checkpoint = await trx
    .selectFrom("run_checkpoints")
    .selectAll()
    .where("run_id", "=", from.id)
    .executeTakeFirst();
  await trx
    .updateTable("runs")
    .set({
      branch: from.branch,
      pull_number: from.pullNumber,
      pull_url: from.pullUrl,
      // The new run holds the pull request too: a trigger there waits for it.
      pull_key: from.pullNumber === null ? null : threadKey(from.owner, from.repo, from.pullNumber),
      base_sha: from.baseSha,
      head_sha: from.headSha,
      steps_used: checkpoint ? Number(checkpoint.step) : 0,
    })
    .where("id", "=", to)
    .execute();
  if (!checkpoint) return;
  const step = Number(checkpoint.step);
  // Commits pushed after the checkpoint (the final commit of a run that failed while finishing)
  // hold its working changes: the new run starts from that head, so the branch never goes back.
  const movedOn = from.headSha !== null && from.headSha !== checkpoint.base_sha;
  await trx
    .insertInto("run_checkpoints")
    .values({
      run_id: to,
      step,
      state: withoutBudgetPause(checkpoint.state),
      base_sha: movedOn ? (from.headSha ?? checkpoint.base_sha) : checkpoint.base_sha,
      diff: movedOn ? (await gzipAsync(Buffer.alloc(0))).toString("base64") : checkpoint.diff,
      diff_bytes: movedOn ? 0 : Number(checkpoint.diff_bytes),
      created_at: checkpoint.created_at,
    })
    .execute();
  const transcript = await trx
    .selectFrom("run_transcript")
    .selectAll()
    .where("run_id", "=", from.id)
    .where("step", "<=", step)
    .orderBy("idx")
    .execute();
  for (let i = 0; i < transcript.length; i += COPY_CHUNK) {
    await trx
      .insertInto("run_transcript")
      .values(
        transcript.slice(i, i + COPY_CHUNK).map((r) => ({
          run_id: to,
          idx: Number(r.idx),
          step: Number(r.step),
          message: r.message,
        })),
      )
      .execute();
  }
}

/**
 * The earlier run's state, less a pause for more budget: the retry has a whole budget again, so
 * that question is answered. A question for a person (`ask_human`, the watchdog, an approval)
 * stays: the retried run asks it again.
 */
function withoutBudgetPause(state: string): string {
  const parsed = JSON.parse(state) as { pause?: { source?: string } | null };
  if (parsed.pause?.source !== "budget") return state;
  return JSON.stringify({ ...parsed, pause: null });
}
