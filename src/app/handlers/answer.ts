// A comment that answers a paused run: while a run waits in awaiting_reply,
// the next comment on its issue from a writer (not a command, never a bot)
// is the answer. The run goes back to the queue with it and resumes from its
// last checkpoint, reading the answer first.
import type { Context } from "probot";
import { isWriter } from "../../github/permissions.ts";
import { sanitizeUntrusted } from "../../policy/sanitize.ts";
import type { HandlerDependencies } from "../dependencies.ts";

const MAX_ANSWER_CHARS = 20_000;

/** True when the comment answered a waiting run. */
export async function takeAnswer(
  deps: HandlerDependencies,
  context: Context<"issue_comment.created">,
): Promise<boolean> {
  const { payload } = context;
  const installationId = payload.installation?.id;
  if (installationId === undefined || payload.sender.type === "Bot") return false;
  const where = { owner: payload.repository.owner.login, repo: payload.repository.name };
  // The database first: most comments are on issues with no waiting run, and need no API call.
  const run = await deps.store.runs.activeOn(where.owner, where.repo, payload.issue.number);
  if (run?.state !== "awaiting_reply") return false;
  if (await deps.store.installations.isSuspended(installationId)) return false;
  const log = deps.log.child({ deliveryId: context.id, ...where, runId: run.id });
  const octokit = deps.clients.forRepository({ installationId, ...where });
  const { writer, role } = await isWriter(octokit, where, payload.sender);
  if (!writer) {
    log.info(
      { sender: payload.sender.login, role },
      "a reply to a waiting run from a non-writer; ignored",
    );
    return false;
  }
  const answered = await deps.store.pauses.answer(run.id, {
    deliveryId: context.id,
    by: payload.sender.login,
    text: sanitizeUntrusted(payload.comment.body, MAX_ANSWER_CHARS),
  });
  if (!answered) return false;
  log.info({ by: payload.sender.login }, "the waiting run got its answer and is queued again");
  await octokit.rest.reactions.createForIssueComment({
    ...where,
    comment_id: payload.comment.id,
    content: "+1",
  });
  deps.onRunQueued?.(run);
  return true;
}
