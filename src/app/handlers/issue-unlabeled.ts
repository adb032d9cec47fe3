// issues.unlabeled: removing the label that started the issue's active run
// stops it (GitHub lets only people who may triage the issue remove labels).
import type { Context } from "probot";
import { cancelRun } from "../cancel.ts";
import type { HandlerDependencies } from "../dependencies.ts";

export function onIssueUnlabeled(deps: HandlerDependencies) {
  return async (context: Context<"issues.unlabeled">): Promise<void> => {
    const { payload } = context;
    const installationId = payload.installation?.id;
    if (installationId === undefined || payload.label === undefined) return;
    const owner = payload.repository.owner.login;
    const repo = payload.repository.name;
    const run = await deps.store.runs.activeOn(owner, repo, payload.issue.number);
    if (!run || run.kind !== "issue" || payload.label.name !== run.config.label) return;
    await cancelRun(
      deps,
      run,
      { by: `@${payload.sender.login}`, reason: `removed the \`${run.config.label}\` label` },
      deps.clients.forRepository({ installationId, owner, repo }),
    );
  };
}
