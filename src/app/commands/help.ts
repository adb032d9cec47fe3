// `/stamina help`, `/stamina` alone and a command Stamina does not know: one
// short comment listing the commands, their words taken from COMMANDS only.
// Each is quoted in backticks inside a list, so the comment holds no line
// that reads as a command.
import { COMMANDS } from "../commands.ts";
import type { CommandContext, CommandHandler } from "./context.ts";

export const help: CommandHandler = async (command) => {
  await postHelp(command);
  return "done";
};

/** Posts the help comment; `unknown` is the word Stamina did not know, if that is why. */
export async function postHelp(command: CommandContext, unknown?: string): Promise<void> {
  await command.octokit.rest.issues.createComment({
    ...command.where,
    issue_number: command.number,
    body: helpComment(unknown),
  });
}

function helpComment(unknown?: string): string {
  const lead =
    unknown === undefined
      ? "Stamina's commands"
      : `Stamina does not know \`/stamina ${shown(unknown)}\`. Its commands`;
  return [
    `${lead}, one per line at the start of a comment, from someone who can write to this repository:`,
    "",
    ...Object.entries(COMMANDS).map(([name, text]) => `- \`/stamina ${name}\`: ${text}`),
  ].join("\n");
}

/** The unknown word as the comment quotes it: short, and unable to end the backtick quote. */
function shown(word: string): string {
  const clean = word.replace(/[`\\]/g, "");
  return clean.length > 40 ? `${clean.slice(0, 39)}…` : clean;
}
