// issues.labeled: a writer adds the configured label; Stamina reacts 👀,
// posts one tracking comment and queues a run. Anyone else: a log line only.
import type { Context } from "probot";
import type { GitHubClients } from "../../github/client.ts";
import { isWriter } from "../../github/permissions.ts";
import type { Logger } from "../../observability/logger.ts";
import { CONFIG_PATH, ConfigError, parseRepoConfig, type RepoConfig } from "../../policy/config.ts";
import { MAX_ISSUE_BODY_CHARS, sanitizeUntrusted } from "../../policy/sanitize.ts";
import { trackingComment, trackingNeedle } from "../../runs/report.ts";
import type { Store } from "../../runs/store.ts";
import type { Run } from "../../runs/types.ts";
import type { CancelDependencies } from "../cancel.ts";
import { findBotComment } from "../../github/comments.ts";

export interface HandlerDependencies extends CancelDependencies {
  store: Store;
  clients: GitHubClients;
  log: Logger;
  /** Told when a run was queued, so an in-process worker can claim it at once. */
  onRunQueued?: (run: Run) => void;
}

const DEFAULT_LABEL = "stamina";

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

    const loaded = await loadConfig(context);
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
        config: loaded.config,
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

type Loaded = { ok: true; config: RepoConfig } | { ok: false; label: string; problems: string[] };

/** The repository config from the default branch, or what is wrong with it. */
export async function loadConfig(
  context: Context<"issues.labeled"> | Context<"pull_request.labeled">,
): Promise<Loaded> {
  let raw: unknown;
  try {
    raw = await context.config("stamina.yml");
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { ok: false, label: DEFAULT_LABEL, problems: [`the file is not valid YAML: ${reason}`] };
  }
  try {
    return { ok: true, config: parseRepoConfig(raw) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const label = isRecord(raw) && typeof raw.label === "string" ? raw.label.trim() : DEFAULT_LABEL;
    return { ok: false, label, problems: error.problems };
  }
}

function configErrorComment(problems: string[]): string {
  return [
    `⚠️ Stamina did not start: \`${CONFIG_PATH}\` on the default branch is not valid.`,
    "",
    ...problems.map((p) => `- ${p}`),
    "",
    "Fix the file on the default branch, then add the label again.",
  ].join("\n");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
