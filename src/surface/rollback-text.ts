// What a rollback says on GitHub and in git: the commit message, the answer to
// the person who asked, and the run's tracking comment once its branch was
// rolled back. Plain words; the commits a rollback undoes are named.
import type { ForeignCommit } from "../workspace/git-rollback.ts";
import type { BranchCheckpoint } from "../store/branch-checkpoints.ts";
import { TRACKING_MARKER, trackingNeedle } from "./report.ts";
import type { Rollback } from "../store/rollbacks.ts";
import type { Run } from "../store/types.ts";

const short = (sha: string) => sha.slice(0, 7);

function checkpointName(checkpoint: Pick<BranchCheckpoint, "number" | "sha" | "green">): string {
  return `checkpoint ${checkpoint.number} (\`${short(checkpoint.sha)}\`${checkpoint.green ? ", verification passed" : ""})`;
}

/** The rollback commit's message, trailers included. */
export function rollbackCommitMessage(
  request: Rollback,
  trailers: string[],
  issueNumber: number,
): string {
  return [
    `Roll back to checkpoint ${request.checkpoint} (${short(request.toSha)})`,
    "",
    `${request.requestedBy} asked for it with \`/stamina rollback\` on #${request.askedOn}: this commit restores the tree of ${request.toSha} on the branch of issue #${issueNumber}. The commits after it stay in the history.`,
    "",
    ...trailers,
  ].join("\n");
}

/** The commits not made by Stamina that the rollback undoes in the tree, as Markdown lines. */
function undoneLines(undone: ForeignCommit[]): string[] {
  if (undone.length === 0) return [];
  return [
    "",
    `⚠️ The branch has commits Stamina did not make; the rollback undoes them in the tree (they stay in the history, and \`git revert\` of the rollback brings them back):`,
    "",
    ...undone.map((c) => `- \`${short(c.sha)}\` ${oneLine(c.subject)} (${oneLine(c.author)})`),
  ];
}

/** The answer on the issue or pull request where the rollback was asked for. */
export function rollbackDone(args: {
  request: Rollback;
  checkpoint: Pick<BranchCheckpoint, "number" | "sha" | "green">;
  sha: string;
  from: string;
  undone: ForeignCommit[];
  pullUrl: string | null;
}): string {
  const { request } = args;
  return [
    `↩️ ${request.requestedBy}: Stamina rolled branch \`${request.branch}\` back to ${checkpointName(args.checkpoint)} with a new commit, ${short(args.sha)}, on top of ${short(args.from)}; nothing was force-pushed.${args.pullUrl ? ` The pull request: ${args.pullUrl}.` : ""}`,
    ...undoneLines(args.undone),
  ].join("\n");
}

/** The branch already has the checkpoint's tree: nothing to commit. */
export function rollbackNotNeeded(request: Rollback): string {
  return `↩️ ${request.requestedBy}: branch \`${request.branch}\` already has the files of checkpoint ${request.checkpoint} (\`${short(request.toSha)}\`), so there is nothing to roll back.`;
}

export function rollbackFailed(request: Rollback, reason: string): string {
  return `❌ ${request.requestedBy}: Stamina could not roll back branch \`${request.branch}\` to checkpoint ${request.checkpoint} (\`${short(request.toSha)}\`): ${reason}`;
}

/** The run's tracking comment after its branch was rolled back. */
export function rolledBackTracking(
  run: Run,
  request: Rollback,
  checkpoint: Pick<BranchCheckpoint, "number" | "sha" | "green">,
  sha: string,
): string {
  return [
    TRACKING_MARKER,
    `↩️ ${request.requestedBy} rolled branch \`${request.branch}\` back to ${checkpointName(checkpoint)} with commit ${short(sha)}.${run.pullUrl ? ` The pull request: ${run.pullUrl}.` : ""}`,
    "",
    "`/stamina status` lists the branch's checkpoints.",
    "",
    trackingNeedle(run.id),
  ].join("\n");
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim().slice(0, 120);
}
