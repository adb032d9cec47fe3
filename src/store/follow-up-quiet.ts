// The quiet period of a follow-up no worker has started: the webhooks of one
// review arrive apart (the review, then each of its comments, tens of
// milliseconds to seconds apart, in no promised order), so a worker that took
// the round at the first would start it while the rest still arrive, and they
// would queue a second round behind it. Each trigger pushes the round's start
// out to `quietMs` after it, never beyond `maxWaitMs` after the first trigger
// of the burst (triggers no more than `quietMs` apart), so a stream of
// comments cannot hold a round off for ever.
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

export interface FollowUpQuiet {
  /** How long after its latest trigger a round waits for more (ms). */
  quietMs: number;
  /** The longest a burst of triggers holds a round back (ms from its first). */
  maxWaitMs: number;
}

/** After a trigger was added to the unstarted follow-up `runId`: when a worker may take it. */
export async function holdForQuiet(
  trx: Kysely<Database>,
  runId: string,
  quiet: FollowUpQuiet | undefined,
  now: Date,
): Promise<void> {
  if (quiet === undefined) return;
  const triggers = await trx
    .selectFrom("run_triggers")
    .select("created_at")
    .where("run_id", "=", runId)
    .orderBy("created_at")
    .execute();
  const times = [...triggers.map((t) => Date.parse(t.created_at)), now.getTime()];
  const start = burstStart(times, quiet.quietMs);
  const until = Math.min(now.getTime() + quiet.quietMs, start + quiet.maxWaitMs);
  const run = await trx
    .selectFrom("runs")
    .select("not_before")
    .where("id", "=", runId)
    .executeTakeFirstOrThrow();
  // Never sooner than an earlier trigger already said.
  if (run.not_before !== null && Date.parse(run.not_before) >= until) return;
  await trx
    .updateTable("runs")
    .set({ not_before: new Date(until).toISOString() })
    .where("id", "=", runId)
    .execute();
}

/** The first of the last run of `times` (ascending) that are no more than `gapMs` apart. */
function burstStart(times: readonly number[], gapMs: number): number {
  let start = times[0] ?? 0;
  for (let i = 1; i < times.length; i++) {
    if (times[i]! - times[i - 1]! > gapMs) start = times[i]!;
  }
  return start;
}
