// A follow-up run: a round of answers to the reviews of a pull request. It
// starts on the pull request's branch where it stands now (a person's commit
// there is built on), takes every thread waiting for an answer as it stood at
// the latest trigger (review-threads.ts: text written or edited later does not
// steer the round), and gives the agent a task that lists them and the
// `answer_thread` tool. The batch is recorded in the audit log the first time,
// so a resumed attempt answers the same threads. How the round ends is in
// finish-round.ts.
import type { AuditSink, Tool } from "../../agent/ports.ts";
import { renderPrompt, untrusted, type RenderedPrompt } from "../../agent/prompts.ts";
import { sanitizeUntrusted } from "../../policy/sanitize.ts";
import { originalFileReader, roundContext } from "./round-context.ts";
import { createAnswerThreadTool } from "../../agent/tools/answer-thread.ts";
import { repositoryInstructions } from "../../agent/prompts.ts";
import { RunFailure } from "../failure.ts";
import type { GitHubPort, RepoRef } from "../../github/types.ts";
import { describeItems, threadsToAnswer, type RoundItem } from "./review-threads.ts";
import type { Store } from "../../store/store.ts";
import type { Run } from "../../store/types.ts";

export interface RoundDeps {
  store: Store;
  github: GitHubPort;
  audit: AuditSink;
}

export interface Round {
  items: RoundItem[];
  task: RenderedPrompt;
  tools: Tool[];
  /** When the model first ends its turn: the threads it has not answered yet, as a prompt. */
  beforeDone: () => Promise<string | null>;
}

const refOf = (run: Run): RepoRef => ({
  installationId: run.installationId,
  owner: run.owner,
  repo: run.repo,
});

/**
 * Before the workspace is prepared: a follow-up run takes the pull request's branch and its
 * head as it is now (the run's base), once. Any other run is returned as it is.
 */
export async function beginFollowUp(run: Run, deps: RoundDeps): Promise<Run> {
  if (run.kind !== "follow_up" || run.branch !== null) return run;
  const pull = await deps.github.pullRequest(refOf(run), run.issueNumber);
  if (pull.state === "closed") {
    throw new RunFailure("the pull request was closed before the round started.", "cancelled");
  }
  const updated = await deps.store.runs.update(run.id, {
    branch: pull.headRef,
    baseSha: pull.headSha,
    pullNumber: pull.number,
    pullUrl: pull.url,
  });
  await deps.audit.record("review.round", {
    round: run.id,
    pull: pull.number,
    branch: pull.headRef,
    head: pull.headSha,
  });
  return updated;
}

/**
 * After the workspace: what this round answers, its task (the threads, with the pull request's
 * body, its issue, its base and which commits are people's) and its tool.
 */
export async function prepareRound(
  run: Run,
  deps: RoundDeps,
  git: { worktree: string; token: () => Promise<string>; signal?: AbortSignal },
): Promise<Round> {
  const items = await roundItems(run, deps);
  const { worktree, token, signal } = git;
  const threads = await describeItems(items, worktree, originalFileReader(worktree, token, signal));
  const pull = await deps.github.pullRequest(refOf(run), run.issueNumber);
  const task = renderPrompt("follow-up", {
    repository: `${run.owner}/${run.repo}`,
    pull_number: String(run.issueNumber),
    pull_title: untrusted(sanitizeUntrusted(run.issueTitle, 300)),
    ...(await roundContext(run, deps, pull.body, worktree, signal)),
    round_base: (run.baseSha ?? "HEAD").slice(0, 12),
    threads,
    instructions: repositoryInstructions(run.config.instructions),
  });
  const tools = [
    createAnswerThreadTool({
      threads: items.length,
      onAnswer: (answer) => deps.audit.record("review.answer", { round: run.id, ...answer }),
    }),
  ];
  return { items, task, tools, beforeDone: () => unansweredReminder(run, deps, items) };
}

/** The threads no `answer_thread` call answered yet, listed, or null when every one was. */
async function unansweredReminder(
  run: Run,
  deps: RoundDeps,
  items: RoundItem[],
): Promise<string | null> {
  const answered = new Set(
    (await deps.store.audit.events(run.id))
      .filter((e) => e.type === "review.answer" && e.data.round === run.id)
      .map((e) => Number(e.data.thread)),
  );
  const missing = items.flatMap((item, index) => {
    const n = index + 1;
    if (answered.has(n)) return [];
    const what =
      "thread" in item
        ? `\`${item.thread.path}\`${item.thread.line === null ? "" : `, line ${item.thread.line}`}`
        : "a comment on the pull request's conversation";
    return [`- Thread ${n}: ${what}`];
  });
  if (missing.length === 0) return null;
  return [
    `You have not answered ${missing.length === 1 ? "this thread" : "these threads"} yet:`,
    "",
    ...missing,
    "",
    'Call `answer_thread` for each one ("changed", "answered" or "declined"), then end your turn again. A thread left unanswered gets a reply saying Stamina did not get to it.',
  ].join("\n");
}

/**
 * The round's items: as recorded by an earlier attempt, else chosen now and recorded. Read
 * before the workspace is prepared: a round with none ends there (finish-round.ts).
 */
export async function roundItems(run: Run, deps: RoundDeps): Promise<RoundItem[]> {
  const events = await deps.store.audit.events(run.id);
  const recorded = events.find((e) => e.type === "review.batch" && e.data.round === run.id);
  if (recorded) return recorded.data.items as RoundItem[];
  const ref = refOf(run);
  const writers = new Map<string, boolean>();
  const canWrite = async (login: string) => {
    let known = writers.get(login.toLowerCase());
    if (known === undefined) {
      known = await deps.github.canWrite(ref, login);
      writers.set(login.toLowerCase(), known);
    }
    return known;
  };
  const triggers = await deps.store.runs.triggers(run.id);
  const freeze = freezeTime(triggers);
  const threads = await threadsToAnswer(
    await deps.github.reviewThreads(ref, run.issueNumber),
    freeze,
    canWrite,
  );
  // What writers said on the pull request itself (a review's body, a comment), in the triggers:
  // the payload's text, which is the text as of the trigger.
  const said: RoundItem[] = [];
  for (const trigger of triggers) {
    const data = trigger.data as { body?: unknown };
    if (typeof data.body === "string" && data.body.trim() !== "") {
      said.push({ conversation: { by: trigger.requestedBy, body: data.body } });
    }
  }
  const items: RoundItem[] = [...threads.map((thread) => ({ thread })), ...said];
  const frozenAt = freeze === null ? null : new Date(freeze).toISOString();
  await deps.audit.record("review.batch", { round: run.id, frozenAt, items });
  return items;
}

/**
 * The round's freeze: the latest time its triggers say GitHub gave their events (the review
 * submitted, the comment written), in ms; null when none says (a trigger recorded before
 * triggers kept their time, or a command's), and then every edited comment's text is left out.
 */
function freezeTime(triggers: Array<{ data: unknown }>): number | null {
  let latest: number | null = null;
  for (const { data } of triggers) {
    const at = (data as { triggeredAt?: unknown }).triggeredAt;
    const ms = typeof at === "string" ? Date.parse(at) : Number.NaN;
    if (!Number.isNaN(ms) && (latest === null || ms > latest)) latest = ms;
  }
  return latest;
}
