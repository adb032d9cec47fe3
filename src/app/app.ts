// The Probot app: the durable webhook ingress, the event handlers, and the
// replay of deliveries that were acknowledged but never handled.
import type { ApplicationFunction, Probot } from "probot";
import type { Logger } from "../observability/logger.ts";
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
import { createWebhookIngress } from "./ingress.ts";
import type { Redelivery } from "./redeliver.ts";
import type { WebhookSettings } from "./webhook-settings.ts";

export const WEBHOOK_PATH = "/api/github/webhooks";

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
}

export function staminaApp(options: AppOptions): ApplicationFunction {
  return (app, { addHandler }) => {
    app.on("issues.labeled", onIssueLabeled(options));
    app.on("issues.unlabeled", onIssueUnlabeled(options));
    app.on("issue_comment.created", onIssueComment(options));
    app.on("pull_request.labeled", onPullRequestLabeled(options));
    app.on("pull_request.closed", onPullRequestClosed(options));
    app.on("pull_request_review.submitted", onPullRequestReview(options));
    app.on("pull_request_review_comment.created", onPullRequestReviewComment(options));
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
      options.log.error({ err: error }, "a webhook handler failed");
    });
    addHandler(
      createWebhookIngress({
        path: WEBHOOK_PATH,
        secret: options.webhookSecret,
        ...options.webhook,
        onRoom: options.redelivery?.kick,
        store: options.store,
        log: options.log,
        handles: (event, action) =>
          HANDLED_EVENTS.has(event) ||
          (action !== null && HANDLED_EVENTS.has(`${event}.${action}`)),
        dispatch: (delivery) => dispatch(app, options, delivery),
      }),
    );
    addHandler((req, res) => {
      if (req.url !== "/healthz") return false;
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      return true;
    });
  };
}

/** Runs the handlers of a persisted delivery and marks it handled, whatever they did. */
async function dispatch(
  probot: Probot,
  options: { store: HandlerDependencies["store"]; log: Logger },
  delivery: { id: string; name: string; payload: unknown },
): Promise<void> {
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
  await options.store.deliveries.markHandled(delivery.id, outcome);
}

/** Hands deliveries that a crash left unhandled back to the handlers. */
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
