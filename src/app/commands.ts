// `/stamina <command>` in issue and pull request comments: the commands
// Stamina knows, read from the lines that start with one. A command quoted
// (`> /stamina stop`), in a code block, or hidden in an HTML comment is not
// one. A new command is one entry in COMMANDS (its help line) and one in
// HANDLERS (src/app/commands/handlers.ts), its handler in a module of its own.
import { sanitizeUntrusted } from "../policy/sanitize.ts";

export const COMMANDS = {
  run: "start a run on this issue, as the label does",
  plan: "a dry run: the plan and the diff posted as one comment, nothing pushed",
  retry:
    "a new run from the last checkpoint of the last run, if it failed, was stopped or ran out of budget",
  stop: "stop the active run on this issue or pull request; the work so far is pushed",
  rollback:
    "roll the branch back to a checkpoint with a new commit, never a force-push: `/stamina rollback 2` (the numbers `/stamina status` lists) or a commit; alone, the last checkpoint whose verification passed",
  status: "the run's state, phase, budget spent, link and checkpoints, in one comment",
  help: "this list",
  approve:
    "approve what the run waits on: the held change is pushed as it is, or the budget extended",
  deny: "deny what the run waits on: the held change is rolled back to the last checkpoint, or the run ends out of budget",
} as const;

export type CommandName = keyof typeof COMMANDS;

export type Command =
  { name: CommandName; args: string } | { name: "unknown"; word: string; args: string };

const LINE = /^\/stamina(?=\s|$)(?:\s+(\S+))?[ \t]*(.*)$/i;

/** The commands in a comment, in order of appearance. */
export function parseCommands(body: string | null | undefined): Command[] {
  const commands: Command[] = [];
  let fenced = false;
  // Hidden content goes first: a command no reader can see is not a command.
  for (const raw of sanitizeUntrusted(body, 65_536).split("\n")) {
    const line = raw.trim();
    if (/^(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const word = (match[1] ?? "").toLowerCase();
    const args = (match[2] ?? "").trim();
    if (isCommand(word)) commands.push({ name: word, args });
    else commands.push({ name: "unknown", word, args });
  }
  return commands;
}

function isCommand(word: string): word is CommandName {
  return Object.hasOwn(COMMANDS, word);
}
