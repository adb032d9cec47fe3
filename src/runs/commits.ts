// Stamina's commits: the bot identity and the message naming the issue and
// who asked (the milestone adds the audit chain's head as a trailer).
import type { Run } from "./types.ts";

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
