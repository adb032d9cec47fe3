// pull_request.labeled: the Stamina label on a pull request. A pull request
// whose branch lives in a fork is one Stamina cannot push to (the app is
// installed here, not there), so it says so, once, and starts nothing. Work on
// pull requests of this repository comes from review comments and commands,
// not from this label.
import type { Context } from "probot";
import { findBotComment } from "../../github/comments.ts";
import { cannotPushToFork, forkOf, type PullSides } from "../../github/fork.ts";
import { isWriter } from "../../github/permissions.ts";
import { inlineText } from "../../audit/markdown.ts";
import { loadRepoConfig } from "../repo-config.ts";
import type { HandlerDependencies } from "../dependencies.ts";

const FORK_MARKER = "<!-- stamina:fork -->";

function forkComment(pull: PullSides, fork: string): string {
  const why = cannotPushToFork(
    inlineText(pull.head.ref, 100),
    inlineText(fork, 100),
    pull.head.repo === null,
  );
  return [
    FORK_MARKER,
    `⚠️ Stamina can't work on this pull request: ${why}. Nothing was started.`,
    "",
    "To have Stamina do this work, label the issue the pull request is about instead: Stamina opens its own pull request from a branch here.",
  ].join("\n");
}

export function onPullRequestLabeled(deps: HandlerDependencies) {
  return async (context: Context<"pull_request.labeled">): Promise<void> => {
    const { payload } = context;
    const installationId = payload.installation?.id;
    if (installationId === undefined) return;
    const where = { owner: payload.repository.owner.login, repo: payload.repository.name };
    const log = deps.log.child({ deliveryId: context.id, ...where, pull: payload.number });
    if (await deps.store.installations.isSuspended(installationId)) return;
    const loaded = await loadRepoConfig(context);
    const label = loaded.ok ? loaded.config.label : loaded.label;
    if (payload.label?.name !== label) return;
    const fork = forkOf(payload.pull_request);
    if (fork === null) {
      log.info("the label on a pull request of this repository starts nothing; label the issue");
      return;
    }
    const octokit = deps.clients.forRepository({ installationId, ...where });
    const { writer, role } = await isWriter(octokit, where, payload.sender);
    if (!writer) {
      log.info({ sender: payload.sender.login, role }, "label added by a sender who cannot write");
      return;
    }
    const pull = { ...where, issue_number: payload.number };
    if ((await findBotComment(octokit, pull, FORK_MARKER)) !== null) {
      log.info({ fork }, "pull request from a fork; said so before");
      return;
    }
    await octokit.rest.issues.createComment({
      ...pull,
      body: forkComment(payload.pull_request, fork),
    });
    log.info({ fork }, "pull request from a fork: Stamina can't push there; no run");
  };
}
