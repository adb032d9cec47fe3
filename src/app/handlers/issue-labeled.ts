// issues.labeled: a writer adds the configured label; Stamina reacts 👀,
// posts one tracking comment and queues a run. Anyone else: a log line only.
import type { Context } from "probot";
import type { GitHubClients } from "../../github/client.ts";
import { isWriter } from "../../github/permissions.ts";
import type { Logger } from "../../observability/logger.ts";
import { readInstructionFiles } from "../../github/instructions.ts";
import { joinInstructions } from "../../policy/instructions.ts";
import { MAX_ISSUE_BODY_CHARS, sanitizeUntrusted } from "../../policy/sanitize.ts";
import { trackingComment, trackingNeedle } from "../../runs/report.ts";
import type { Store } from "../../runs/store.ts";
import type { Run } from "../../runs/types.ts";
import type { CancelDependencies } from "../cancel.ts";
import { findBotComment } from "../../github/comments.ts";
import { configErrorComment, loadRepoConfig } from "../repo-config.ts";

export interface HandlerDependencies extends CancelDependencies {
  store: Store;
  clients: GitHubClients;
  log: Logger;
  /** Told when a run was queued, so an in-process worker can claim it at once. */
  onRunQueued?: (run: Run) => void;
}

/**
 * A new run waits for its tracking comment before a worker may start it (so the worker edits
 * that comment rather than posting its own); if this handler dies first, at most this long.
 * Comment creation is throttled (GitHub's secondary limits), so a burst of triggers takes time.
 */
const COMMENT_HOLD_MS = 10 * 60_000;

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

    const octokit = deps.clients.forInstallation(installationId);
    const { writer, role } = await isWriter(octokit, where, payload.sender);
    if (!writer) {
      log.info(
        { sender: payload.sender.login, role },
        "label added by a sender who cannot write; ignored",
      );
      return;
    }
    const issue = { ...where, issue_number: payload.issue.number };
    if (!loaded.ok) {
      await octokit.rest.issues.createComment({
        ...issue,
        body: configErrorComment(loaded.problems),
      });
      log.info({ problems: loaded.problems }, "invalid repository config; no run");
      return;
    }

    // Frozen with the run, like the issue text: a later edit does not reach a queued run.
    const instructions = joinInstructions(
      loaded.config.instructions,
      await readInstructionFiles(octokit, where),
    );
    const result = await deps.store.createRun(
      {
        installationId,
        owner: where.owner,
        repo: where.repo,
        issueNumber: payload.issue.number,
        issueTitle: sanitizeUntrusted(payload.issue.title, 256),
        issueBody: sanitizeUntrusted(payload.issue.body, MAX_ISSUE_BODY_CHARS),
        requestedBy: payload.sender.login,
        requestedById: payload.sender.id,
        deliveryId: context.id,
        config: { ...loaded.config, instructions },
      },
      { holdMs: COMMENT_HOLD_MS },
    );
    if (!result.created) {
      // The same delivery again, after a crash half-way through it: finish what it began.
      const unfinished =
        result.active.deliveryId === context.id && result.active.trackingCommentId === null;
      if (!unfinished) {
        log.info(
          { activeRun: result.active.id },
          "the issue already has an active run; no second run",
        );
        return;
      }
    } else {
      await deps.store.appendAudit(result.run.id, [
        {
          type: "run.queued",
          data: { deliveryId: context.id, requestedBy: result.run.requestedBy, role, label },
        },
      ]);
    }
    const run = result.created ? result.run : result.active;
    const audit = (type: string, data: Record<string, unknown>) =>
      deps.store.appendAudit(run.id, [{ type, data }]);

    await octokit.rest.reactions.createForIssue({ ...issue, content: "eyes" });
    await audit("github.write", { op: "reaction.create", content: "eyes" });
    // A new run's comment cannot exist yet; a resumed delivery's may (posted, id not stored).
    const found = result.created
      ? null
      : await findBotComment(octokit, issue, trackingNeedle(run.id));
    const commentId =
      found ??
      (
        await octokit.rest.issues.createComment({
          ...issue,
          body: trackingComment(run, { kind: "queued" }),
        })
      ).data.id;
    if (!(await deps.store.setTrackingComment(run.id, commentId))) {
      log.warn({ runId: run.id, commentId }, "the run already had a tracking comment");
    }
    if (found === null) await audit("github.write", { op: "comment.create", commentId });
    log.info({ runId: run.id }, "run queued");
    deps.onRunQueued?.(run);
  };
}
