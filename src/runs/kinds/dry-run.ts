// The end of a dry run (`/stamina plan`, or `dry_run: true`): the work was
// committed in the run's own worktree only (no branch, no pull request, no
// check run on GitHub), and one comment on the issue holds the agent's plan,
// its summary and the diff, cut to fit GitHub's limit on a comment with a note
// of what was cut. A resumed run edits that comment rather than posting again.
import type { AuditSink } from "../../agent/ports.ts";
import { workingDiff } from "../../workspace/diff.ts";
import type { GitHubPort, RepoRef } from "../../github/types.ts";
import type { RunState } from "../../store/schema.ts";
import type { Say } from "../../surface/tracking.ts";
import type { AgentOutcome, Run } from "../../store/types.ts";

/** GitHub refuses a comment longer than this. */
export const COMMENT_LIMIT = 65_536;
/** Kept free under the limit: the redactor's markers may be longer than what they replace. */
const MARGIN = 1_000;
const SUMMARY_MAX = 20_000;

export interface DryRunEnd {
  run: Run;
  agent: AgentOutcome;
  worktree: string;
  /** The commit the run started from: the diff is from here to the work. */
  baseSha: string;
  github: GitHubPort;
  audit: AuditSink;
  say: Say;
  signal: AbortSignal;
}

/** Posts (or edits) the plan-and-diff comment and says so; the state and outcome to finish with. */
export async function finishDryRun(end: DryRunEnd): Promise<{ state: RunState; outcome: string }> {
  const { run, github, audit } = end;
  const ref: RepoRef = { installationId: run.installationId, owner: run.owner, repo: run.repo };
  const diff = await workingDiff(end.worktree, end.baseSha, { signal: end.signal });
  const stat = await workingDiff(end.worktree, end.baseSha, { stat: true, signal: end.signal });
  const { body, cut } = dryRunComment(run, end.agent, diff, stat);
  const found = await github.findComment(ref, run.issueNumber, dryRunNeedle(run.id));
  let commentId: number;
  if (found === null) {
    commentId = (await github.createComment(ref, run.issueNumber, body)).id;
    await audit.record("github.write", { op: "comment.create", commentId });
  } else {
    commentId = found;
    await github.updateComment(ref, commentId, body);
    await audit.record("github.write", { op: "comment.update", commentId });
  }
  await audit.record("run.dry_run", {
    commentId,
    diffChars: diff.length,
    ...(cut > 0 ? { diffCharsCut: cut } : {}),
    pushed: false,
  });
  await end.say({ kind: "planned" });
  const state: RunState = ["completed", "no_change"].includes(end.agent.stop)
    ? "succeeded"
    : end.agent.stop === "cannot_fix"
      ? "failed"
      : "out_of_budget";
  const outcome = "dry run: the plan and the diff are posted on the issue; nothing was pushed";
  await audit.record("run.finished", { state, outcome, dryRun: true });
  return { state, outcome };
}

/** Text that only this run's dry-run comment contains, to find it again. */
function dryRunNeedle(runId: string): string {
  return `<!-- stamina:dry-run ${runId} -->`;
}

/** The comment: plan, summary and the diff, cut so the whole fits in one comment. */
export function dryRunComment(
  run: Run,
  agent: AgentOutcome,
  diff: string,
  stat: string,
): { body: string; cut: number } {
  const summary = agent.summary.trim();
  const head = [
    dryRunNeedle(run.id),
    `🧪 **Dry run** for @${run.requestedBy}: what Stamina would change for this issue. Nothing was pushed: no branch, no pull request.`,
    ...(agent.stop === "completed"
      ? []
      : agent.stop === "no_change"
        ? ["", "No change needed: the agent changed nothing and says why in its summary."]
        : agent.stop === "cannot_fix"
          ? ["", `It stopped with checks it cannot fix: ${oneLine(agent.reason ?? agent.message)}`]
          : ["", `It stopped before it finished: ${agent.message}`]),
    "",
    "### Plan",
    "",
    ...(agent.plan.length > 0
      ? agent.plan.map((p) => `- [${p.status === "done" ? "x" : " "}] ${oneLine(p.step)}`)
      : ["_The agent kept no plan._"]),
    "",
    "### Summary",
    "",
    summary === ""
      ? "_The agent wrote no summary._"
      : summary.length > SUMMARY_MAX
        ? `${summary.slice(0, SUMMARY_MAX)}…`
        : summary,
    "",
    "### Diff",
    "",
  ];
  if (diff.trim() === "") {
    return { body: [...head, "_No file changed._"].join("\n"), cut: 0 };
  }
  const fence = "`".repeat(Math.max(3, longestBacktickRun(diff) + 1));
  const statLine = stat.trim().split("\n").at(-1)?.trim() ?? "";
  const before = [...head, ...(statLine ? [statLine, ""] : []), `${fence}diff`].join("\n");
  const whole = diff.replace(/\n$/, "");
  const room = COMMENT_LIMIT - MARGIN - NOTE_ROOM - before.length - fence.length - 4;
  let shown = whole;
  if (shown.length > room) {
    shown = shown.slice(0, Math.max(0, room));
    const lastLine = shown.lastIndexOf("\n");
    if (lastLine > 0) shown = shown.slice(0, lastLine);
  }
  const cut = whole.length - shown.length;
  const note =
    cut > 0
      ? [
          "",
          `_The diff is cut to fit in one comment: ${shown.length.toLocaleString("en-US")} of ${whole.length.toLocaleString("en-US")} characters shown. Not shown, in whole or in part: ${filesCut(shown, whole.slice(shown.length))}._`,
        ]
      : [];
  return { body: [before, shown, fence, ...note].join("\n"), cut };
}

/** Room kept for the note on a cut diff (its list of files is cut to fit too). */
const NOTE_ROOM = 4_000;

/** The files of the diff's part that was cut, by name: the one cut mid-way and those after it. */
function filesCut(shown: string, rest: string): string {
  const header = /^diff --git a\/(.*) b\/.*$/gm;
  const names: string[] = [];
  const lastShown = [...shown.matchAll(header)].at(-1)?.[1];
  if (lastShown !== undefined && !rest.startsWith("\ndiff --git ")) names.push(lastShown);
  for (const match of rest.matchAll(header)) names.push(match[1] ?? "");
  const listed = names.slice(0, 50).map((n) => `\`${n.replace(/`/g, "")}\``);
  const more = names.length - listed.length;
  const text = listed.join(", ") + (more > 0 ? ` and ${more} more files` : "");
  return text.length > NOTE_ROOM - 300 ? `${text.slice(0, NOTE_ROOM - 301)}…` : text;
}

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const match of text.matchAll(/`+/g)) longest = Math.max(longest, match[0].length);
  return longest;
}

/** A plan step on one line, so its text cannot add items of its own. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim().slice(0, 200);
}
