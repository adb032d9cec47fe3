// One way to queue a run on an issue, whatever asked for it (the label,
// `/stamina run`, `/stamina plan`, `/stamina retry`): the repository's config
// from the default branch (a bad one gets the comment that names each problem,
// and no run), the instructions frozen with the run, the run in the store (one
// active run per issue), `run.queued` in its audit log, one tracking comment,
// and the worker told. Who may ask is checked by the caller.
import type { Context } from "probot";
import type { InstallationOctokit } from "../github/client.ts";
import { findBotComment } from "../github/comments.ts";
import { readInstructionFiles } from "../github/instructions.ts";
import { quietCommands } from "../github/quiet-commands.ts";
import type { Logger } from "../observability/logger.ts";
import { joinInstructions } from "../policy/instructions.ts";
import { MAX_ISSUE_BODY_CHARS, sanitizeUntrusted } from "../policy/sanitize.ts";
import { trackingComment, trackingNeedle } from "../surface/report.ts";
import type { CreateRunResult } from "../store/runs.ts";
import type { NewRun, Run } from "../store/types.ts";
import { runPageUrl } from "../surface/run-link.ts";
import type { HandlerDependencies } from "./dependencies.ts";
import { configErrorComment, type LoadedConfig } from "./repo-config.ts";

/**
 * A new run waits for its tracking comment before a worker may start it (so the worker edits
 * that comment rather than posting its own); if this handler dies first, at most this long.
 * Comment creation is throttled (GitHub's secondary limits), so a burst of triggers takes time.
 */
const COMMENT_HOLD_MS = 10 * 60_000;

export interface RunRequest {
  deps: HandlerDependencies;
  /** The delivery that asks: its id is the run's, so a redelivery finishes what it began. */
  context: Pick<Context, "id">;
  octokit: InstallationOctokit;
  installationId: number;
  where: { owner: string; repo: string };
  issue: { number: number; title: string; body: string | null };
  sender: { login: string; id: number };
  /** The repository's config as the default branch has it. */
  loaded: LoadedConfig;
  log: Logger;
  /** What `run.queued` records of the trigger besides the delivery and who asked. */
  trigger: Record<string, unknown>;
  /** React 👀 on the issue (the label; a command's acknowledgement is its own 👍). */
  eyes: boolean;
  /** A dry run whatever the config says (`/stamina plan`); the config's `dry_run` otherwise. */
  dryRun?: boolean;
  /** Puts the run in the store; createRun with the comment hold when unset (a retry's differs). */
  create?: (input: NewRun, options: { holdMs: number }) => Promise<CreateRunResult>;
}

export type RunRequestResult =
  { status: "queued"; run: Run } | { status: "active"; run: Run } | { status: "invalid_config" };

export async function queueIssueRun(req: RunRequest): Promise<RunRequestResult> {
  const { deps, octokit, where, loaded, log, context } = req;
  const issue = { ...where, issue_number: req.issue.number };
  if (!loaded.ok) {
    // The problems quote the file: a key or value in it must not come back as a command.
    const body = quietCommands(configErrorComment(loaded.problems));
    await octokit.rest.issues.createComment({ ...issue, body });
    log.info({ problems: loaded.problems }, "invalid repository config; no run");
    return { status: "invalid_config" };
  }

  // Frozen with the run, like the issue text: a later edit does not reach a queued run.
  const instructions = joinInstructions(
    loaded.config.instructions,
    await readInstructionFiles(octokit, where),
  );
  const dryRun = req.dryRun === true || loaded.config.dry_run;
  const input: NewRun = {
    installationId: req.installationId,
    owner: where.owner,
    repo: where.repo,
    issueNumber: req.issue.number,
    issueTitle: sanitizeUntrusted(req.issue.title, 256),
    issueBody: sanitizeUntrusted(req.issue.body, MAX_ISSUE_BODY_CHARS),
    requestedBy: req.sender.login,
    requestedById: req.sender.id,
    deliveryId: context.id,
    config: { ...loaded.config, instructions },
    dryRun,
  };
  const create = req.create ?? ((run: NewRun, options) => deps.store.runs.create(run, options));
  const result = await create(input, { holdMs: COMMENT_HOLD_MS });
  if (!result.created) {
    // The same delivery again, after a crash half-way through it: finish what it began.
    const unfinished =
      result.active.deliveryId === context.id && result.active.trackingCommentId === null;
    if (!unfinished) {
      log.info(
        { activeRun: result.active.id },
        "the issue already has an active run; no second run",
      );
      return { status: "active", run: result.active };
    }
  } else {
    await deps.store.audit.append(result.run.id, [
      {
        type: "run.queued",
        data: {
          deliveryId: context.id,
          requestedBy: result.run.requestedBy,
          ...req.trigger,
          ...(dryRun ? { dryRun } : {}),
          ...(result.run.continues ? { continues: result.run.continues } : {}),
        },
      },
    ]);
  }
  const run = result.created ? result.run : result.active;
  const audit = (type: string, data: Record<string, unknown>) =>
    deps.store.audit.append(run.id, [{ type, data }]);

  if (req.eyes) {
    await octokit.rest.reactions.createForIssue({ ...issue, content: "eyes" });
    await audit("github.write", { op: "reaction.create", content: "eyes" });
  }
  // A new run's comment cannot exist yet; a resumed delivery's may (posted, id not stored).
  const found = result.created
    ? null
    : await findBotComment(octokit, issue, trackingNeedle(run.id));
  const commentId =
    found ??
    (
      await octokit.rest.issues.createComment({
        ...issue,
        body: trackingComment(run, { kind: "queued" }, [], [], runPageUrl(deps.publicUrl, run.id)),
      })
    ).data.id;
  if (!(await deps.store.runs.setTrackingComment(run.id, commentId))) {
    log.warn({ runId: run.id, commentId }, "the run already had a tracking comment");
  }
  if (found === null) await audit("github.write", { op: "comment.create", commentId });
  log.info({ runId: run.id, dryRun }, "run queued");
  deps.onRunQueued?.(run);
  return { status: "queued", run };
}
