// What `/stamina run`, `/stamina plan` and `/stamina retry` share: a run on
// the comment's issue queued the way the label queues one (start-run.ts),
// acknowledged with 👍 when it is queued; 😕 when the issue already has an
// active run (nothing new is said) or the config is wrong (its comment says why).
import { loadRepoConfig } from "../repo-config.ts";
import { queueIssueRun, type RunRequest } from "../start-run.ts";
import type { CommandContext, CommandResult } from "./context.ts";

export async function startFromComment(
  command: CommandContext,
  options: Pick<RunRequest, "dryRun" | "create"> & { trigger: Record<string, unknown> },
): Promise<CommandResult> {
  const { context } = command;
  const { payload } = context;
  const installationId = payload.installation?.id;
  if (installationId === undefined) return "nothing";
  const result = await queueIssueRun({
    deps: command.deps,
    context,
    octokit: command.octokit,
    installationId,
    where: command.where,
    issue: payload.issue,
    sender: payload.sender,
    loaded: await loadRepoConfig(context),
    log: command.log,
    trigger: options.trigger,
    eyes: false,
    ...(options.dryRun === undefined ? {} : { dryRun: options.dryRun }),
    ...(options.create === undefined ? {} : { create: options.create }),
  });
  return result.status === "queued" ? "done" : "nothing";
}
