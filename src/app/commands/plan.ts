// `/stamina plan`: a dry run on the issue, whatever the config says. It works
// like a run but pushes nothing, and ends with one comment on the issue that
// holds the plan and the diff (src/runs/dry-run.ts).
import type { CommandHandler } from "./context.ts";
import { startFromComment } from "./start.ts";

export const plan: CommandHandler = async (command) => {
  if (command.onPullRequest) {
    command.log.info("/stamina plan on a pull request: plans are made on issues");
    return "nothing";
  }
  return startFromComment(command, {
    dryRun: true,
    trigger: { command: "plan", by: command.by },
  });
};
