// `/stamina run`: on an issue, exactly what the label does (a dry run when the
// repository's config says `dry_run: true`). On a pull request, nothing yet:
// handing a pull request over to Stamina is the review work's to add.
import type { CommandHandler } from "./context.ts";
import { startFromComment } from "./start.ts";

export const run: CommandHandler = async (command) => {
  if (command.onPullRequest) {
    command.log.info(
      "/stamina run on a pull request: handing a pull request over is not built yet",
    );
    return "nothing";
  }
  return startFromComment(command, { trigger: { command: "run", by: command.by } });
};
