// A run that waits for a person (a watchdog pause, `ask_human`, a change held
// for approval, a budget run out): a comment on the issue that says what went
// wrong or what is asked and how to answer (pause-comment.ts), then the run in
// `awaiting_reply` or `awaiting_approval` with no worker holding it. Nothing
// waits in memory: the step checkpoint is where the answered run picks up.
import type { AuditSink, HumanPort, PauseRequest } from "../agent/ports.ts";
import { APPROVAL_REQUESTED } from "../store/approvals.ts";
import { pauseComment, pauseNeedle } from "../surface/pause-comment.ts";
import type { GitHubPort, RepoRef } from "../github/types.ts";
import type { Store } from "../store/store.ts";
import type { Run } from "../store/types.ts";

/** The port the agent's loop tells about a pause: it posts the comment, once per pause. */
export function createHumanPort(deps: {
  github: GitHubPort;
  audit: AuditSink;
  run: Run;
}): HumanPort {
  const { github, audit, run } = deps;
  const ref: RepoRef = { installationId: run.installationId, owner: run.owner, repo: run.repo };
  return {
    answers: true,
    async pause(request) {
      const needle = pauseNeedle(run.id, request);
      if ((await github.findComment(ref, run.issueNumber, needle)) !== null) return;
      if (waitsForApproval(request)) {
        // Before the comment: a decision is tied to the request it answers (approval-store.ts).
        await audit.record(APPROVAL_REQUESTED, {
          source: request.source,
          reason: request.reason,
          ...request.details,
        });
      }
      const { id, createdAt } = await github.createComment(
        ref,
        run.issueNumber,
        pauseComment(request, needle),
      );
      // When GitHub says the request was made: an answer written before it answers another.
      await audit.record("github.write", {
        op: "comment.create",
        commentId: id,
        why: "pause",
        ...(createdAt === undefined ? {} : { createdAt }),
      });
    },
  };
}

/** A held change and a budget extension wait for `/stamina approve|deny`; the rest for a reply. */
function waitsForApproval(request: PauseRequest): boolean {
  return request.source === "approval" || request.source === "budget";
}

/** Hands the paused run back: `awaiting_reply` or `awaiting_approval`, no lease, claimed by no worker until answered. */
export async function parkRun(
  store: Store,
  audit: AuditSink,
  run: Run,
  workerId: string | null,
  request: PauseRequest,
): Promise<Run> {
  const state = waitsForApproval(request) ? "awaiting_approval" : "awaiting_reply";
  // The last event this worker may write: after pauseRun it holds the run no more.
  await audit.record("run.paused", { state, source: request.source, reason: request.reason });
  if (workerId !== null) await store.pauses.pause(run.id, workerId, state);
  return store.runs.mustGet(run.id);
}
