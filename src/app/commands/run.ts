// `/stamina run`: on an issue, exactly what the label does (a dry run when the
// repository's config says `dry_run: true`); on a pull request, handing it over
// to Stamina (hand-over.ts).
import type { CommandHandler } from "./context.ts";
import { handOver } from "./hand-over.ts";
import { startFromComment } from "./start.ts";

export const run: CommandHandler = async (command) => {
  if (command.onPullRequest) return handOver(command);
  return startFromComment(command, { trigger: { command: "run", by: command.by } });
};
