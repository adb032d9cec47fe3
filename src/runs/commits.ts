// Stamina's commits: the bot identity, the message naming the issue and who
// asked, and that person as a co-author (the milestone adds the trailers:
// `Co-authored-by` and the audit chain's head).
import type { Identity } from "../workspace/git.ts";
import type { Run } from "../store/types.ts";

export const BOT = { name: "stamina[bot]", email: "stamina[bot]@users.noreply.github.com" };

export function commitMessage(run: Run, note?: string): string {
  const title = run.issueTitle.replace(/\s+/g, " ").trim().slice(0, 60);
  return [
    `${note ? "WIP: " : ""}${title} (#${run.issueNumber})`,
    "",
    `Stamina's change for issue #${run.issueNumber}, asked for by @${run.requestedBy}.`,
    ...(note ? ["", note] : []),
  ].join("\n");
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
