// A run that waits for a person (a watchdog pause now, `ask_human` later): a
// comment on the issue that says what went wrong and how to answer, then the
// run in `awaiting_reply` with no worker holding it. Nothing waits in memory:
// the step checkpoint is where the answered run picks up.
import type { AuditSink, HumanPort, PauseRequest } from "../agent/ports.ts";
import type { GitHubPort, RepoRef } from "./ports.ts";
import type { Store } from "./store.ts";
import type { Run } from "./types.ts";

/** Text only the comment of this pause holds: a resumed run that pauses again finds it, not posts twice. */
export function pauseNeedle(runId: string, request: PauseRequest): string {
  const step = request.details?.step;
  return `<sub>Run \`${runId}\`, paused${typeof step === "number" ? ` after step ${step}` : ""}</sub>`;
}

/** The comment a paused run leaves on its issue. */
export function pauseComment(request: PauseRequest, needle: string): string {
  const what =
    request.source === "watchdog"
      ? "Stamina paused this run: it looks stuck, and more of the same would only spend the budget."
      : "Stamina paused this run to ask a question.";
  return [
    `⏸️ ${what}`,
    "",
    `**What went wrong:** ${request.reason}`,
    "",
    "**How to answer:** reply to this issue with a comment (you need write access) that tells Stamina how to go on — a hint, a narrower goal, or what to leave alone. The run picks up where it stopped, with your reply. To end it instead, comment `/stamina stop`: the work so far is pushed.",
    "",
    needle,
  ].join("\n");
}

/** The port the agent's loop tells about a pause: it posts the comment, once per pause. */
export function createHumanPort(deps: {
  github: GitHubPort;
  audit: AuditSink;
  run: Run;
}): HumanPort {
  const { github, audit, run } = deps;
  const ref: RepoRef = { installationId: run.installationId, owner: run.owner, repo: run.repo };
  return {
    async pause(request) {
      const needle = pauseNeedle(run.id, request);
      if ((await github.findComment(ref, run.issueNumber, needle)) !== null) return;
      const { id } = await github.createComment(
        ref,
        run.issueNumber,
        pauseComment(request, needle),
      );
      await audit.record("github.write", { op: "comment.create", commentId: id, why: "pause" });
    },
  };
}

/** Hands the paused run back: `awaiting_reply`, no lease, claimed by no worker until answered. */
export async function parkRun(
  store: Store,
  audit: AuditSink,
  run: Run,
  workerId: string | null,
  request: PauseRequest,
): Promise<Run> {
  // The last event this worker may write: after pauseRun it holds the run no more.
  await audit.record("run.paused", {
    state: "awaiting_reply",
    source: request.source,
    reason: request.reason,
  });
  if (workerId !== null) await store.pauseRun(run.id, workerId, "awaiting_reply");
  return store.mustGetRun(run.id);
}
