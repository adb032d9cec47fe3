// issues.labeled: a writer adds the configured label; Stamina reacts 👀,
// posts one tracking comment and queues a run (start-run.ts, the path every
// way of asking for a run shares). Anyone else: a log line only.
import type { Context } from "probot";
import { isWriter } from "../../github/permissions.ts";
import { loadRepoConfig } from "../repo-config.ts";
import type { HandlerDependencies } from "../dependencies.ts";
import { queueIssueRun } from "../start-run.ts";

export function onIssueLabeled(deps: HandlerDependencies) {
  return async (context: Context<"issues.labeled">): Promise<void> => {
    const { payload } = context;
    const installationId = payload.installation?.id;
    const where = { owner: payload.repository.owner.login, repo: payload.repository.name };
    const log = deps.log.child({ deliveryId: context.id, ...where, issue: payload.issue.number });
    if (installationId === undefined) {
      log.warn("issues.labeled without an installation; ignored");
      return;
    }
    if (payload.issue.pull_request) return;
    if (await deps.store.installations.isSuspended(installationId)) {
      log.info("the installation is suspended; ignored");
      return;
    }

    const loaded = await loadRepoConfig(context);
    const label = loaded.ok ? loaded.config.label : loaded.label;
    if (payload.label?.name !== label) return;

    const octokit = deps.clients.forRepository({ installationId, ...where });
    const { writer, role } = await isWriter(octokit, where, payload.sender);
    if (!writer) {
      log.info(
        { sender: payload.sender.login, role },
        "label added by a sender who cannot write; ignored",
      );
      return;
    }
    await queueIssueRun({
      deps,
      context,
      octokit,
      installationId,
      where,
      issue: payload.issue,
      sender: payload.sender,
      loaded,
      log,
      trigger: { role, label },
      eyes: true,
    });
  };
}
