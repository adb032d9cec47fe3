// Stamina's commits: the bot identity, the message of a stopped run's work
// so far, and the person who asked as a co-author (the milestone adds
// the trailers: `Co-authored-by` and the audit chain's head).
import { renderCommit, wipCommit } from "../agent/commit-message.ts";
import type { Identity } from "../workspace/git.ts";
import type { Run } from "../store/types.ts";

export const BOT = { name: "stamina[bot]", email: "stamina[bot]@users.noreply.github.com" };

/** The work so far of a run someone stopped: "WIP: <issue title> (#N)", and who stopped it. */
export function stoppedCommitMessage(run: Run, note: string): string {
  const title = run.issueTitle.replace(/\s+/g, " ").trim().slice(0, 60);
  const asked = `Stamina's change for issue #${run.issueNumber}, asked for by @${run.requestedBy}.`;
  return renderCommit(wipCommit({ subject: `${title} (#${run.issueNumber})`, body: asked }, note));
}

/**
 * The person who asked, as GitHub credits a co-author: the no-reply address with the account
 * id (`id+login@users.noreply.github.com`), which follows a renamed account; the login-only
 * form when the id is unknown (a run queued before it was recorded).
 */
export function coAuthorOf(run: Pick<Run, "requestedBy" | "requestedById">): Identity {
  const login = run.requestedBy;
  const local = run.requestedById === null ? login : `${run.requestedById}+${login}`;
  return { name: login, email: `${local}@users.noreply.github.com` };
}
