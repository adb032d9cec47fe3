// check_run.rerequested: a writer pressed "Re-run" on the "Stamina" check of
// one of Stamina's runs. Stamina runs the checks again on the pull request's
// head: a run of kind "recheck" on the pull request (runs/kinds/recheck.ts),
// queued like any run (one active run per pull request), with the repository
// config as the default branch has it now. Another app's check, a check with
// no pull request, a run still going there, or a sender who cannot write: a
// log line only.
import type { Context } from "probot";
import { isWriter } from "../../github/permissions.ts";
import { quietCommands } from "../../github/quiet-commands.ts";
import { sanitizeUntrusted } from "../../policy/sanitize.ts";
import type { Run } from "../../store/types.ts";
import { STAMINA_CHECK } from "../../surface/stamina-check.ts";
import type { HandlerDependencies } from "../dependencies.ts";
import { configErrorComment, loadRepoConfig } from "../repo-config.ts";

export function onCheckRunRerequested(deps: HandlerDependencies) {
  return async (context: Context<"check_run.rerequested">): Promise<void> => {
    const { payload } = context;
    const checkRun = payload.check_run;
    const installationId = payload.installation?.id;
    const where = { owner: payload.repository.owner.login, repo: payload.repository.name };
    const log = deps.log.child({ deliveryId: context.id, ...where, checkRun: checkRun.id });
    if (installationId === undefined || checkRun.name !== STAMINA_CHECK) return;
    // Stamina's check names its run (external_id); a run of another repository is not this one's.
    const earlier = checkRun.external_id ? await deps.store.runs.get(checkRun.external_id) : null;
    if (!earlier || earlier.owner !== where.owner || earlier.repo !== where.repo) {
      log.info("a re-run of a check that is not one of Stamina's runs; ignored");
      return;
    }
    const pull = pullOf(earlier);
    if (pull === null) {
      log.info({ runId: earlier.id }, "re-run of a run with no pull request; nothing to check");
      return;
    }
    if (await deps.store.installations.isSuspended(installationId)) {
      log.info("the installation is suspended; ignored");
      return;
    }
    const octokit = deps.clients.forRepository({ installationId, ...where });
    const { writer, role } = await isWriter(octokit, where, payload.sender);
    if (!writer) {
      log.info({ sender: payload.sender.login, role }, "re-run by a sender who cannot write");
      return;
    }
    const active = await deps.store.runs.activeOn(where.owner, where.repo, pull);
    if (active) {
      log.info({ runId: active.id }, "a run is under way on the pull request; its check says how");
      return;
    }
    const loaded = await loadRepoConfig(context);
    if (!loaded.ok) {
      const body = quietCommands(configErrorComment(loaded.problems));
      await octokit.rest.issues.createComment({ ...where, issue_number: pull, body });
      log.info({ problems: loaded.problems }, "invalid repository config; the checks did not run");
      return;
    }
    const created = await deps.store.runs.create(
      {
        installationId,
        owner: where.owner,
        repo: where.repo,
        issueNumber: pull,
        issueTitle: sanitizeUntrusted(earlier.issueTitle, 256),
        issueBody: "",
        requestedBy: payload.sender.login,
        requestedById: payload.sender.id,
        deliveryId: context.id,
        config: loaded.config,
      },
      { kind: "recheck" },
    );
    if (!created.created) {
      log.info({ runId: created.active.id }, "a run took the pull request first; no re-run");
      return;
    }
    await deps.store.audit.append(created.run.id, [
      {
        type: "run.queued",
        data: {
          deliveryId: context.id,
          requestedBy: payload.sender.login,
          role,
          pull,
          rerun: { checkRun: checkRun.id, run: earlier.id },
        },
      },
    ]);
    log.info({ runId: created.run.id, pull }, "the checks run again on the pull request");
    deps.onRunQueued?.(created.run);
  };
}

/** The pull request a run's check belongs to: a re-run's and a review round's are their own. */
function pullOf(run: Run): number | null {
  if (run.kind === "recheck" || run.kind === "follow_up") return run.issueNumber;
  return run.pullNumber;
}
