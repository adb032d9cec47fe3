// `/stamina run` on a pull request: a writer hands an open pull request of
// this repository to Stamina. A round starts on its branch at once (the text
// after the command, if any, is what to do), and from then on the reviews on
// it are answered like those on Stamina's own pull requests. A pull request
// from a fork, or a closed one, is refused in words: Stamina pushes only to
// branches of this repository, and a closed pull request takes no more work.
// (`/stamina run` is run.ts; it calls this on a pull request.)
import { inlineText } from "../../audit/markdown.ts";
import { cannotPushToFork, forkOf } from "../../github/fork.ts";
import { joinInstructions } from "../../policy/instructions.ts";
import { readInstructionFiles } from "../../github/instructions.ts";
import { MAX_ISSUE_BODY_CHARS, sanitizeUntrusted } from "../../policy/sanitize.ts";
import { configErrorComment, loadRepoConfig } from "../repo-config.ts";
import { triggerTime } from "../handlers/review.ts";
import type { CommandHandler } from "./context.ts";

export const handOver: CommandHandler = async (command) => {
  const { deps, context, octokit, where, number, by, args, log } = command;
  const installationId = context.payload.installation?.id;
  if (!command.onPullRequest || installationId === undefined) return "nothing";
  const pullRef = { ...where, issue_number: number };
  const say = async (body: string) => {
    await octokit.rest.issues.createComment({ ...pullRef, body });
  };
  const { data: pull } = await octokit.rest.pulls.get({ ...where, pull_number: number });
  if (pull.state !== "open") {
    await say(
      `⚠️ ${by}, Stamina can't work on this pull request: it is closed. Nothing was started.`,
    );
    log.info("/stamina run on a closed pull request");
    return "nothing";
  }
  const fork = forkOf(pull);
  if (fork !== null) {
    const why = cannotPushToFork(
      inlineText(pull.head.ref, 100),
      inlineText(fork, 100),
      pull.head.repo === null,
    );
    await say(`⚠️ ${by}, Stamina can't work on this pull request: ${why}. Nothing was started.`);
    log.info({ fork }, "/stamina run on a pull request from a fork; refused");
    return "nothing";
  }
  const loaded = await loadRepoConfig(context);
  if (!loaded.ok) {
    await say(configErrorComment(loaded.problems));
    log.info({ problems: loaded.problems }, "invalid repository config; no run");
    return "nothing";
  }
  const instructions = joinInstructions(
    loaded.config.instructions,
    await readInstructionFiles(octokit, where),
  );
  const sender = context.payload.sender;
  const result = await deps.store.runs.enqueueFollowUp({
    installationId,
    owner: where.owner,
    repo: where.repo,
    issueNumber: number,
    pullNumber: number,
    issueTitle: sanitizeUntrusted(pull.title, 256),
    issueBody: sanitizeUntrusted(args, MAX_ISSUE_BODY_CHARS, "the command"),
    requestedBy: sender.login,
    requestedById: sender.id,
    deliveryId: context.id,
    config: { ...loaded.config, instructions },
    // The round reads the pull request's threads as they were when the writer handed it over.
    triggeredAt: triggerTime(context.payload.comment.created_at),
  });
  if (result.status === "started") {
    await deps.store.audit.append(result.run.id, [
      {
        type: "run.queued",
        data: { deliveryId: context.id, requestedBy: sender.login, pull: number, handedOver: true },
      },
    ]);
  }
  if (result.status === "started" || result.status === "joined") deps.onRunQueued?.(result.run);
  log.info({ runId: result.run.id, status: result.status }, "pull request handed to Stamina");
  return "done";
};
