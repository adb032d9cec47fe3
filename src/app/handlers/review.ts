// Reviews on Stamina's pull requests: a submitted review (commented or
// changes requested), a review comment, or a comment on the pull request
// that is addressed to Stamina (it mentions the app, unless the repository's
// `reviews.conversation` is `all`: people talk to each other there too),
// from a writer, queues a follow-up run there (store.enqueueFollowUp: the
// events of one review join one run, which no worker takes until they have
// been quiet for REVIEW_QUIET; those during a run wait for the next round),
// with the time GitHub gives the event, which freezes the round's text. Bots,
// Stamina itself, readers, and pull requests Stamina neither opened nor was
// handed are ignored. Closing the pull request stops its run.
import type { Context } from "probot";
import { isWriter, type Sender } from "../../github/permissions.ts";
import { joinInstructions } from "../../policy/instructions.ts";
import { readInstructionFiles } from "../../github/instructions.ts";
import { MAX_ISSUE_BODY_CHARS, sanitizeUntrusted } from "../../policy/sanitize.ts";
import type { FollowUpQuiet } from "../../store/follow-up-quiet.ts";
import { cancelRun } from "../cancel.ts";
import { mentionsApp } from "../mentions.ts";
import { loadRepoConfig } from "../repo-config.ts";
import type { HandlerDependencies } from "../dependencies.ts";

/**
 * How long a round waits after the latest event on its pull request before a worker may take
 * it, so the webhooks of one review (the review, then each of its comments) make one round; a
 * stream of events holds it back no longer than `maxWaitMs`.
 */
export const REVIEW_QUIET: FollowUpQuiet = { quietMs: 3_000, maxWaitMs: 30_000 };

type ReviewContext =
  | Context<"pull_request_review.submitted">
  | Context<"pull_request_review_comment.created">
  | Context<"issue_comment.created">;

/** What a trigger on a pull request says: where, who, and any text of its own (a review's body). */
interface Trigger {
  installationId: number | undefined;
  where: { owner: string; repo: string };
  number: number;
  title: string;
  sender: Sender & { id: number };
  /** Text addressed to the pull request as a whole; review comments live in their threads. */
  body: string;
  /** A comment on the conversation: it starts a round only when addressed to Stamina. */
  conversation?: boolean;
  /**
   * When GitHub says it happened (a comment's `created_at`, a review's `submitted_at`): the
   * round reads every thread as it stood then (follow-up.ts), so later edits do not steer it.
   */
  at: string | null | undefined;
}

export function onPullRequestReview(deps: HandlerDependencies) {
  return async (context: Context<"pull_request_review.submitted">): Promise<void> => {
    const { payload } = context;
    const state = payload.review.state.toLowerCase();
    if (state !== "commented" && state !== "changes_requested") return;
    await followUp(deps, context, {
      installationId: payload.installation?.id,
      where: { owner: payload.repository.owner.login, repo: payload.repository.name },
      number: payload.pull_request.number,
      title: payload.pull_request.title,
      sender: payload.sender,
      body: payload.review.body ?? "",
      at: payload.review.submitted_at,
    });
  };
}

export function onPullRequestReviewComment(deps: HandlerDependencies) {
  return async (context: Context<"pull_request_review_comment.created">): Promise<void> => {
    const { payload } = context;
    await followUp(deps, context, {
      installationId: payload.installation?.id,
      where: { owner: payload.repository.owner.login, repo: payload.repository.name },
      number: payload.pull_request.number,
      title: payload.pull_request.title,
      sender: payload.sender,
      body: "",
      at: payload.comment.created_at,
    });
  };
}

/** A comment (not a command, not an answer) on a pull request; true when it queued a round. */
export async function followUpFromComment(
  deps: HandlerDependencies,
  context: Context<"issue_comment.created">,
): Promise<boolean> {
  const { payload } = context;
  if (payload.issue.pull_request === undefined) return false;
  return followUp(deps, context, {
    installationId: payload.installation?.id,
    where: { owner: payload.repository.owner.login, repo: payload.repository.name },
    number: payload.issue.number,
    title: payload.issue.title,
    sender: payload.sender,
    body: payload.comment.body,
    at: payload.comment.created_at,
    conversation: true,
  });
}

async function followUp(
  deps: HandlerDependencies,
  context: ReviewContext,
  trigger: Trigger,
): Promise<boolean> {
  const { installationId, where, number, sender } = trigger;
  if (installationId === undefined || sender.type === "Bot") return false;
  // The database first: most pull requests are not Stamina's, and need no API call.
  if (!(await deps.store.pulls.isStaminas(where.owner, where.repo, number))) return false;
  const log = deps.log.child({ deliveryId: context.id, ...where, pull: number });
  if (await deps.store.installations.isSuspended(installationId)) return false;
  const octokit = deps.clients.forRepository({ installationId, ...where });
  const { writer, role } = await isWriter(octokit, where, sender);
  if (!writer) {
    log.info({ sender: sender.login, role }, "review from a sender who cannot write; ignored");
    return false;
  }
  const loaded = await loadRepoConfig(context);
  if (!loaded.ok) {
    log.info({ problems: loaded.problems }, "invalid repository config; no follow-up");
    return false;
  }
  if (!(await addressed(deps, trigger, loaded.config.reviews.conversation))) {
    log.info(
      { sender: sender.login },
      "a comment on the conversation that does not mention the app; no round",
    );
    return false;
  }
  const instructions = joinInstructions(
    loaded.config.instructions,
    await readInstructionFiles(octokit, where),
  );
  const result = await deps.store.runs.enqueueFollowUp(
    {
      installationId,
      owner: where.owner,
      repo: where.repo,
      issueNumber: number,
      pullNumber: number,
      issueTitle: sanitizeUntrusted(trigger.title, 256),
      issueBody: sanitizeUntrusted(trigger.body, MAX_ISSUE_BODY_CHARS, "the comment"),
      requestedBy: sender.login,
      requestedById: sender.id,
      deliveryId: context.id,
      config: { ...loaded.config, instructions },
      triggeredAt: triggerTime(trigger.at),
    },
    REVIEW_QUIET,
  );
  log.info({ runId: result.run.id, status: result.status }, "review queued for a follow-up");
  if (result.status === "started") {
    await deps.store.audit.append(result.run.id, [
      {
        type: "run.queued",
        data: { deliveryId: context.id, requestedBy: sender.login, role, pull: number },
      },
    ]);
  }
  if (result.status === "started" || result.status === "joined") deps.onRunQueued?.(result.run);
  return true;
}

/**
 * Whether a trigger is for Stamina: reviews and review comments always are; a comment on the
 * conversation when it mentions the app, or with `all`, always. The slug is asked of GitHub
 * only for a comment that could mention it.
 */
async function addressed(
  deps: HandlerDependencies,
  trigger: Trigger,
  conversation: "mention" | "all",
): Promise<boolean> {
  if (trigger.conversation !== true || conversation === "all") return true;
  if (!trigger.body.includes("@")) return false;
  return mentionsApp(trigger.body, await deps.clients.appSlug());
}

/** The trigger's time as ISO text, or undefined when the payload gives none that parses. */
export function triggerTime(at: string | null | undefined): string | undefined {
  if (typeof at !== "string") return undefined;
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function onPullRequestClosed(deps: HandlerDependencies) {
  return async (context: Context<"pull_request.closed">): Promise<void> => {
    const { payload } = context;
    const installationId = payload.installation?.id;
    if (installationId === undefined) return;
    const where = { owner: payload.repository.owner.login, repo: payload.repository.name };
    const run = await deps.store.runs.activeOn(
      where.owner,
      where.repo,
      payload.pull_request.number,
    );
    if (!run) return;
    const how = payload.pull_request.merged ? "merged" : "closed";
    const outcome = await cancelRun(
      deps,
      run,
      { by: `@${payload.sender.login}`, reason: `${how} the pull request` },
      deps.clients.forRepository({ installationId, ...where }),
    );
    deps.log.info({ runId: run.id, ...where, outcome }, `the pull request was ${how}; run stopped`);
  };
}
