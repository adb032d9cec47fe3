// The Probot app: the durable webhook ingress, the event handlers, and the
// replay of deliveries that were acknowledged but never handled.
import type { Metrics } from "../observability/metrics.ts";
import type { ApplicationFunction, ApplicationFunctionOptions, Probot } from "probot";
import type { Logger } from "../observability/logger.ts";
import { operatorProblem, type OperatorProblem } from "../runs/operator-settings.ts";
import { onCheckRunRerequested } from "./handlers/check-rerun.ts";
import { onInstallation, onInstallationRepositories } from "./handlers/installation.ts";
import { onIssueComment } from "./handlers/issue-comment.ts";
import { onIssueLabeled } from "./handlers/issue-labeled.ts";
import { type HandlerDependencies } from "./dependencies.ts";
import { onIssueUnlabeled } from "./handlers/issue-unlabeled.ts";
import { onPullRequestLabeled } from "./handlers/pull-request-labeled.ts";
import {
  onPullRequestClosed,
  onPullRequestReview,
  onPullRequestReviewComment,
} from "./handlers/review.ts";
import { payloadProblem } from "./payload-shape.ts";
import { createWebhookIngress } from "./ingress.ts";
import type { Redelivery } from "./redeliver.ts";
import type { WebhookSettings } from "./webhook-settings.ts";

export const WEBHOOK_PATH = "/api/github/webhooks";

/** A route of the server, as Probot's addHandler takes it: true when it answered the request. */
type Handler = Parameters<ApplicationFunctionOptions["addHandler"]>[0];

/**
 * The events Stamina acts on; the ingress stores and dispatches only these. Keep in step with
 * the `app.on` calls below (a handler missing here never runs, and its tests say so).
 */
export const HANDLED_EVENTS = new Set([
  "issues.labeled",
  "issues.unlabeled",
  "issue_comment.created",
  "pull_request.labeled",
  "pull_request.closed",
  "pull_request_review.submitted",
  "pull_request_review_comment.created",
  "check_run.rerequested",
  "installation.created",
  "installation.deleted",
  "installation.suspend",
  "installation.unsuspend",
  "installation_repositories.added",
  "installation_repositories.removed",
]);

export interface AppOptions extends HandlerDependencies {
  webhookSecret: string;
  /** The ingress's limits, each unset one the settings' default; `now`: the clock ages are judged by. */
  webhook?: Partial<WebhookSettings> & { now?: () => number };
  /** Asks GitHub again for deliveries refused for load; kicked when the ingress has room. */
  redelivery?: Pick<Redelivery, "kick">;
  /** The process's metrics: the ingress counts deliveries by outcome (served through `routes`). */
  metrics?: Metrics;
  /** More routes of the server, after the webhook's: the process's /healthz and /readyz. */
  routes?: readonly Handler[];
}

/** What the operators' settings stopped, by delivery id, for each app its handlers run in. */
const keptFor = new WeakMap<Probot, Map<string, OperatorProblem>>();

/**
 * `app.on` whose handlers hand an operators' problem (the app's key, say) to dispatch instead
 * of throwing it: Probot would log each one as a failed handler, payload and all.
 */
function keepingOn(app: Probot): Probot["on"] {
  const kept = new Map<string, OperatorProblem>();
  keptFor.set(app, kept);
  const on: Probot["on"] = (events, handler) =>
    app.on(events, async (context) => {
      try {
        await handler(context);
      } catch (error) {
        const problem = operatorProblem(error);
        if (problem === null) throw error;
        kept.set(context.id, problem);
      }
    });
  return on;
}

export function staminaApp(options: AppOptions): ApplicationFunction {
  return (probot, { addHandler }) => {
    const app = { on: keepingOn(probot), onError: probot.onError.bind(probot) };
    app.on("issues.labeled", onIssueLabeled(options));
    app.on("issues.unlabeled", onIssueUnlabeled(options));
    app.on("issue_comment.created", onIssueComment(options));
    app.on("pull_request.labeled", onPullRequestLabeled(options));
    app.on("pull_request.closed", onPullRequestClosed(options));
    app.on("pull_request_review.submitted", onPullRequestReview(options));
    app.on("pull_request_review_comment.created", onPullRequestReviewComment(options));
    app.on("check_run.rerequested", onCheckRunRerequested(options));
    app.on(
      [
        "installation.created",
        "installation.deleted",
        "installation.suspend",
        "installation.unsuspend",
      ],
      onInstallation(options),
    );
    app.on(
      ["installation_repositories.added", "installation_repositories.removed"],
      onInstallationRepositories(options),
    );
    app.onError((error) => {
      // An operators' problem never reaches here: keepingOn hands it to dispatch.
      options.log.error({ err: error }, "a webhook handler failed");
    });
    addHandler(
      createWebhookIngress({
        path: WEBHOOK_PATH,
        secret: options.webhookSecret,
        ...options.webhook,
        onRoom: options.redelivery?.kick,
        onOutcome: options.metrics?.webhook,
        store: options.store,
        log: options.log,
        handles: (event, action) =>
          HANDLED_EVENTS.has(event) ||
          (action !== null && HANDLED_EVENTS.has(`${event}.${action}`)),
        dispatch: (delivery) => dispatch(probot, options, delivery),
      }),
    );
    for (const route of options.routes ?? []) addHandler(route);
  };
}

/** Settings already reported in this process: the operators are told once, not per delivery. */
const reported = new WeakMap<Logger, Set<string>>();

/**
 * Runs the handlers of a persisted delivery and marks it handled, whatever they did; except
 * when the operators' settings stopped it (the app's key, say): then it is kept unhandled, to
 * be handled at the next start, and the operators are told once at error level.
 */
async function dispatch(
  probot: Probot,
  options: { store: HandlerDependencies["store"]; log: Logger },
  delivery: { id: string; name: string; payload: unknown },
): Promise<void> {
  const lacking = payloadProblem(delivery.name, delivery.payload);
  if (lacking !== null) {
    // Not GitHub's (it always sends these): recorded as refused, the fields named, no handler run.
    options.log.warn(
      { deliveryId: delivery.id, event: delivery.name, lacking },
      "delivery refused: its payload lacks what Stamina reads; GitHub always sends these fields, so check what posted it",
    );
    await options.store.deliveries.markHandled(delivery.id, `refused: ${lacking}`.slice(0, 500));
    return;
  }
  let outcome = "ok";
  try {
    // The payload was verified and parsed at the ingress; Probot routes it by name.
    await probot.receive({
      id: delivery.id,
      name: delivery.name,
      payload: delivery.payload,
    } as Parameters<Probot["receive"]>[0]);
  } catch (error) {
    outcome = `error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500);
    options.log.error({ err: error, deliveryId: delivery.id }, "delivery handling failed");
  }
  const kept = keptFor.get(probot);
  const problem = kept?.get(delivery.id);
  if (problem !== undefined) {
    kept?.delete(delivery.id);
    keep(options.log, problem, delivery);
    return;
  }
  await options.store.deliveries.markHandled(delivery.id, outcome);
}

function keep(log: Logger, problem: OperatorProblem, delivery: { id: string; name: string }): void {
  const told = reported.get(log) ?? new Set<string>();
  reported.set(log, told);
  const fields = { deliveryId: delivery.id, event: delivery.name, setting: problem.setting };
  if (told.has(problem.setting)) {
    log.warn(fields, `delivery kept unhandled until ${problem.setting} is fixed`);
    return;
  }
  told.add(problem.setting);
  log.error(
    fields,
    `${problem.problem}. Deliveries are kept, not lost: fix ${problem.setting}, check it with \`stamina doctor\`, and restart Stamina; it then handles every delivery it kept`,
  );
}

/** Hands deliveries that a crash (or the operators' settings) left unhandled back to the handlers. */
export async function replayUnhandled(
  probot: Probot,
  options: { store: HandlerDependencies["store"]; log: Logger },
): Promise<number> {
  const pending = await options.store.deliveries.unhandled();
  for (const d of pending) {
    options.log.info({ deliveryId: d.id, event: d.event }, "replaying an unhandled delivery");
    await dispatch(probot, options, { id: d.id, name: d.event, payload: JSON.parse(d.payload) });
  }
  return pending.length;
}
