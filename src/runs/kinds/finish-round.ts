// How a round of answers to a review ends: the work committed as one commit
// and pushed (on top of anything a person pushed meanwhile), then in each
// thread the agent's reply (what changed, with the commit's link, or the
// answer, or why not), the threads whose change was made resolved, one
// summary comment on the pull request, and the body's audit section and the
// audit check runs brought up to date. A change the approval policy holds is
// asked about on the pull request first; the round waits for the answer.
import type { AgentResult } from "../../agent/loop.ts";
import {
  cleanCommitWords,
  commitProblems,
  readFinalReply,
  renderCommit,
} from "../../agent/commit-message.ts";
import type { HumanPort, MilestonePort, PauseRequest } from "../../agent/ports.ts";
import { finalMilestone } from "../approval-gate.ts";
import { describeTestWeakening, type TestWeakening } from "../../agent/test-integrity.ts";
import type { ThreadAnswer } from "../../agent/tools/answer-thread.ts";
import { renderDigest } from "../../audit/digest.ts";
import { inlineText } from "../../audit/markdown.ts";
import { renderTimeline } from "../../audit/timeline.ts";
import type { AuditEvent } from "../../audit/types.ts";
import type { RoundDeps, Round } from "./follow-up.ts";
import { isStatus } from "../../github/permissions.ts";
import {
  costLines,
  costOf,
  costSection,
  pullRequestCost,
  type CostReport,
  withCostSection,
} from "../../surface/cost.ts";
import { PR_BODY_LIMIT } from "../../surface/pull-body.ts";
import { trackingNeedle } from "../../surface/report.ts";
import type { RepoRef } from "../../github/types.ts";
import type { RoundItem } from "./review-threads.ts";
import type { Surface } from "../../surface/surface.ts";
import type { RunState } from "../../store/schema.ts";
import type { Run } from "../../store/types.ts";

export interface RoundEnd extends RoundDeps {
  run: Run;
  round: Round;
  agent: AgentResult;
  milestones: MilestonePort;
  /** Asks a writer about a held change (the comment), as an issue run's last change does. */
  human: HumanPort;
  /** Parks the round until a writer answers what `held` asks; the round resumes at its end. */
  park: (held: PauseRequest) => Promise<Run>;
  surface: Surface;
  signal: AbortSignal;
}

const AUDIT_HEADING = "## Audit";

export async function finishRound(end: RoundEnd): Promise<Run> {
  const { store, github, audit, round, agent } = end;
  const ref: RepoRef = {
    installationId: end.run.installationId,
    owner: end.run.owner,
    repo: end.run.repo,
  };
  const pull = end.run.issueNumber;
  let run = await store.runs.update(end.run.id, { state: "finishing" });
  const answers = latestAnswers(await store.audit.events(run.id), run.id);
  // The round's change is gated like an issue run's last one: held, the round waits for a writer.
  const last = await finalMilestone({
    store,
    runId: run.id,
    milestones: end.milestones,
    human: end.human,
    message: roundCommitMessage(run, round.items, answers, agent.summary),
    signal: end.signal,
  });
  if (last.held) return end.park(last.held);
  run = await store.runs.mustGet(run.id);
  // The round's last push, if it pushed: headSha is null until a run's first push.
  const commit = run.headSha !== null && run.headSha !== run.baseSha ? run.headSha : null;
  const commitUrl = commit && run.pullUrl ? `${run.pullUrl}/commits/${commit}` : null;

  const lines: string[] = [];
  for (const [index, item] of round.items.entries()) {
    const n = index + 1;
    const answer = answers.get(n);
    const reply = replyText(answer, commit, commitUrl, agent);
    if ("thread" in item) {
      const { thread } = item;
      const first = thread.comments[0];
      try {
        if (first !== undefined) {
          await github.replyInThread(ref, pull, first.id, reply);
          await audit.record("github.write", { op: "review.reply", thread: thread.id });
        }
        if (answer?.outcome === "changed" && commit !== null) {
          await github.resolveThread(ref, thread.id);
          await audit.record("github.write", { op: "review.resolve", thread: thread.id });
        }
      } catch (error) {
        // A comment deleted during the round takes its thread with it: the others still get answers.
        if (!isStatus(error, 404)) throw error;
        await audit.record("review.thread_gone", { thread: thread.id, path: thread.path });
        lines.push(summaryLine(item, answer, commit) + " (the thread was deleted meanwhile)");
        continue;
      }
    }
    lines.push(summaryLine(item, answer, commit));
  }

  end.surface.verified(agent.verification);
  lines.push(...(await draftIfWeakened(end, ref, pull, agent.testWeakening)));
  const finished = agent.stop === "completed";
  run = await end.surface.say({
    kind: "opened",
    pullUrl: run.pullUrl ?? "",
    verified: agent.verification?.passed === true,
    ...(agent.verification?.passed === true
      ? {}
      : {
          draftBecause: !finished
            ? agent.message
            : agent.verification?.configured === false
              ? "no checks are configured, so nothing was verified"
              : "verification did not pass",
        }),
  });
  const cost = await pullRequestCost(store, run, { live: costOf(agent) });
  if (run.trackingCommentId !== null) {
    await github.updateComment(
      ref,
      run.trackingCommentId,
      summaryComment(run, [...lines, "", ...costLines(cost)], commit, agent),
    );
    await audit.record("github.write", { op: "comment.update", commentId: run.trackingCommentId });
  }
  const answered = [...answers.keys()].filter((n) => n <= round.items.length).length;
  const ending = {
    state: finished ? ("succeeded" as const) : ("out_of_budget" as const),
    outcome: `answered ${answered} of ${round.items.length} review threads${commit ? `, pushed ${commit.slice(0, 7)}` : ""}`,
  };
  // `round`: an attempt that finds this event closes the round as below (run-pipeline.ts).
  await audit.record("run.finished", { ...ending, round: true });
  return closeRound({ ...end, run }, ending, cost);
}

/**
 * A round after its `run.finished`: the pull request body's audit section (whose chain head is
 * that event) and the audit check runs brought up to date, then the run ended. An attempt that
 * finds the event already in the log (its worker died after it) comes straight here.
 */
export async function closeRound(
  end: RoundDeps & { run: Run; surface: Pick<Surface, "publishAudit"> },
  ending: { state: RunState; outcome: string },
  cost?: CostReport,
): Promise<Run> {
  const { store, github, audit, run } = end;
  const ref: RepoRef = { installationId: run.installationId, owner: run.owner, repo: run.repo };
  const pull = run.issueNumber;
  const info = await github.pullRequest(ref, pull);
  const costs = cost ?? (await pullRequestCost(store, run));
  await github.updatePullRequest(ref, pull, {
    body: withAuditSection(
      withCostSection(info.body, costSection(costs), AUDIT_HEADING),
      await store.audit.events(run.id),
    ),
  });
  await audit.record("github.write", { op: "pull.update", number: pull });
  await end.surface.publishAudit();
  return store.runs.finish(run.id, ending.state, ending.outcome);
}

/**
 * A round with nothing waiting for an answer (every thread resolved or answered: the events of
 * a review that came after an earlier round took it up) ends here, silently: its audit log says
 * so, and nothing on GitHub changes (no label, comment, check or pull request body).
 */
export async function endEmptyRound(deps: RoundDeps, run: Run): Promise<Run> {
  const outcome = "nothing to answer: no review thread waits for Stamina";
  await deps.audit.record("run.finished", { state: "succeeded", outcome });
  return deps.store.runs.finish(run.id, "succeeded", outcome);
}

/** The last answer the agent gave for each thread (a later one replaces an earlier one). */
function latestAnswers(events: AuditEvent[], round: string): Map<number, ThreadAnswer> {
  const answers = new Map<number, ThreadAnswer>();
  for (const e of events) {
    if (e.type !== "review.answer" || e.data.round !== round) continue;
    const { thread, outcome, reply } = e.data as unknown as ThreadAnswer;
    answers.set(thread, { thread, outcome, reply });
  }
  return answers;
}

/**
 * A round that deletes or weakens tests sends its pull request back to draft, as an issue's run
 * would have left it, and the summary says why: a reviewer's comment is input like any other.
 */
async function draftIfWeakened(
  { github, audit }: RoundDeps,
  ref: RepoRef,
  pull: number,
  weakening: readonly TestWeakening[],
): Promise<string[]> {
  if (weakening.length === 0) return [];
  const info = await github.pullRequest(ref, pull);
  if (!info.draft) {
    await github.setDraft(ref, info, true);
    await audit.record("github.write", { op: "pull.draft", number: pull });
  }
  return [
    "",
    "⚠️ **This round deletes or weakens tests**, so the pull request is a draft again; check that it should:",
    ...describeTestWeakening(weakening).map((line) => `- ${line}`),
  ];
}

function replyText(
  answer: ThreadAnswer | undefined,
  commit: string | null,
  commitUrl: string | null,
  agent: AgentResult,
): string {
  if (answer === undefined) {
    return agent.stop === "completed"
      ? "Stamina did not get to this thread in this round. Comment again to start another round (on the conversation, mention the app)."
      : `Stamina stopped before it answered this thread: ${agent.message} Comment again to start another round (on the conversation, mention the app).`;
  }
  if (answer.outcome !== "changed") return answer.reply;
  if (commit === null) {
    return `${answer.reply}\n\n_No commit was pushed in this round, so this thread stays open._`;
  }
  return `${answer.reply}\n\nChanged in ${commitUrl ?? commit}.`;
}

function summaryLine(item: RoundItem, answer: ThreadAnswer | undefined, commit: string | null) {
  const what =
    "thread" in item
      ? `\`${inlineText(item.thread.path, 100)}\`${item.thread.line === null ? "" : `:${item.thread.line}`}`
      : `@${item.conversation.by}'s comment`;
  const how =
    answer === undefined
      ? "not answered"
      : answer.outcome === "changed"
        ? commit === null
          ? "change not pushed"
          : "changed and resolved"
        : answer.outcome === "answered"
          ? "answered"
          : "declined";
  const said =
    "conversation" in item && answer !== undefined ? `: ${inlineText(answer.reply, 2_000)}` : "";
  return `- ${what}: ${how}${said}`;
}

function summaryComment(
  run: Run,
  lines: string[],
  commit: string | null,
  agent: AgentResult,
): string {
  const pushed = commit
    ? `Pushed ${commit.slice(0, 7)} to \`${run.branch ?? ""}\`.`
    : "No commit in this round.";
  const stopped = agent.stop === "completed" ? [] : ["", `> ${agent.message}`];
  return [
    `💬 Stamina answered the review (asked by @${run.requestedBy}). ${pushed}`,
    "",
    ...lines,
    ...stopped,
    "",
    "The **Stamina audit log** check runs hold the whole log of every round.",
    "",
    trackingNeedle(run.id),
  ].join("\n");
}

/** The pull request's body with its audit section (digest and timeline) over `events`. */
function withAuditSection(body: string, events: AuditEvent[]): string {
  const at = body.indexOf(`\n${AUDIT_HEADING}\n`);
  const kept = (at >= 0 ? body.slice(0, at) : body).trimEnd();
  const head = [
    kept,
    "",
    AUDIT_HEADING,
    "",
    renderDigest(events),
    "",
    "<details><summary>Timeline</summary>",
    "",
  ].join("\n");
  const tail = "\n\n</details>";
  const room = Math.max(PR_BODY_LIMIT - head.length - tail.length, 1_000);
  return `${head}${renderTimeline(events, room)}${tail}`;
}

/**
 * One commit per round: the model's message from its last reply when it holds the form
 * (src/agent/commit-message.ts), else one naming the files; either says which threads it answers.
 */
function roundCommitMessage(
  run: Run,
  items: RoundItem[],
  answers: Map<number, ThreadAnswer>,
  reply: string,
) {
  const changed = [...answers.values()].filter((a) => a.outcome === "changed");
  const paths = [
    ...new Set(
      changed.flatMap((a) => {
        const item = items[a.thread - 1];
        return item && "thread" in item ? [item.thread.path] : [];
      }),
    ),
  ];
  const threads = `Changes asked for in ${changed.length} review thread${changed.length === 1 ? "" : "s"} of pull request #${run.issueNumber}, answered by Stamina for @${run.requestedBy}.`;
  const written = readFinalReply(reply).commit;
  const words = written === null ? null : cleanCommitWords(written);
  if (words !== null && commitProblems(words).length === 0) {
    return `${renderCommit(words)}\n\n${threads}`;
  }
  return [
    `Answer review on #${run.issueNumber}${paths.length > 0 ? `: ${paths.slice(0, 3).join(", ")}` : ""}`,
    "",
    threads,
  ].join("\n");
}
