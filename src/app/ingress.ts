// The webhook endpoint, per the contract: verify the signature, drop a
// delivery id already seen, persist the delivery, answer 202 — and only then,
// outside the request, hand the event to the handlers. Before anything vouches
// for a body, its reading is bounded: past `maxBytes` it is refused (413, the
// connection closed, nothing stored), and past `maxReading` bodies at once a
// delivery is refused unread (503) and noted, to be asked of GitHub again.
// Input acts once and only when fresh: an event older than the window by its
// payload's own time is recorded and ignored (unless Stamina asked GitHub to
// send it again), and the same comment or review under a new delivery id is a
// recorded replay.
import type { IncomingMessage, ServerResponse } from "node:http";
import { verify } from "@octokit/webhooks-methods";
import type { Logger } from "../observability/logger.ts";
import type { Store } from "../store/store.ts";
import { DispatchQueue } from "./dispatch-queue.ts";
import { ageOf, inputFacts, type InputFacts } from "./input-facts.ts";
import { createReadGate } from "./ingress-gate.ts";
import { refuseAndClose } from "./read-body.ts";

export interface IngressOptions {
  path: string;
  secret: string;
  store: Store;
  log: Logger;
  /** Whether a handler acts on this event; others are acknowledged without being stored. */
  handles: (event: string, action: string | null) => boolean;
  /** Runs the handlers for a persisted delivery; called after the response is sent. */
  dispatch: (delivery: { id: string; name: string; payload: unknown }) => Promise<void>;
  /** Told of each delivery's outcome (the process's metrics). */
  onOutcome?: (outcome: DeliveryOutcome) => void;
  /** Deliveries handled at once; more wait their turn (they are stored already). Default 4. */
  dispatchConcurrency?: number;
  /** An event older than this by its payload's own time is recorded and ignored. */
  maxAgeMs?: number;
  /** A body past this is refused. */
  maxBytes?: number;
  /** Bodies read at once; past this, a delivery is refused for load (503) and asked for again. */
  maxReading?: number;
  /** Notes of deliveries refused for load that may await redelivery at once (forged ids too). */
  maxPendingRedeliveries?: number;
  /** The clock freshness is judged by; default Date.now. */
  now?: () => number;
  /** Told when bodies being read drop low again while deliveries refused for load are noted. */
  onRoom?: () => void;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** What became of a delivery: stored to be handled, seen before, not acted on, or refused. */
type DeliveryOutcome = "accepted" | "duplicate" | "ignored" | "rejected";

export function createWebhookIngress(options: IngressOptions): Handler {
  const { store, log } = options;
  const gate = createReadGate(options);
  const queue = new DispatchQueue(options.dispatchConcurrency ?? 4, (error) =>
    log.error({ err: error }, "a delivery could not be dispatched"),
  );
  const maxAgeMs = options.maxAgeMs ?? 60 * 60_000;
  const now = options.now ?? Date.now;
  /** Why an event is too old to act on, or null. A delivery Stamina asked for again is not. */
  const staleness = async (facts: InputFacts, id: string): Promise<string | null> => {
    const age = ageOf(facts, now());
    if (age === null || age <= maxAgeMs) return null;
    if (await store.deliveries.askedToResend(id)) return null;
    return `${facts.field} is ${facts.at}, ${duration(age)} ago, past the ${duration(maxAgeMs)} window (STAMINA_WEBHOOK_MAX_AGE_MINUTES)`;
  };
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== options.path) return false;
    const answered = queue.takingIn();
    try {
      const outcome = await takeIn(req, res);
      options.onOutcome?.(res.statusCode >= 400 ? "rejected" : outcome);
      return true;
    } finally {
      answered();
    }
  };

  async function takeIn(req: IncomingMessage, res: ServerResponse): Promise<DeliveryOutcome> {
    if (req.method !== "POST") {
      answer(res, 405, "Webhooks are POSTed.");
      return "ignored";
    }
    const id = header(req, "x-github-delivery");
    const name = header(req, "x-github-event");
    const signature = header(req, "x-hub-signature-256");
    if (!id || !name || !signature) {
      // Closed unread: whatever body came with it is not drained.
      refuseAndClose(res, 400, "Missing X-GitHub-Delivery, X-GitHub-Event or X-Hub-Signature-256.");
      return "ignored";
    }
    const body = await gate.read(req, res, { id, name });
    if (body === undefined) return "ignored";
    if (!(await verify(options.secret, body, signature).catch(() => false))) {
      log.warn({ deliveryId: id, event: name }, "webhook signature does not match; rejected");
      answer(res, 401, "Signature does not match.");
      return "ignored";
    }
    let payload: { action?: unknown; installation?: { id?: unknown } };
    try {
      payload = JSON.parse(body) as typeof payload;
    } catch {
      answer(res, 400, "Payload is not JSON.");
      return "ignored";
    }
    const action = typeof payload.action === "string" ? payload.action : null;
    if (!options.handles(name, action)) {
      answer(res, 202, "Accepted; Stamina does not act on this event.");
      return "ignored";
    }
    const facts = inputFacts(name, action, payload);
    const delivery = {
      id,
      event: name,
      action,
      installationId: typeof payload.installation?.id === "number" ? payload.installation.id : null,
      payload: body,
      inputKey: facts.key,
    };
    const stale = await staleness(facts, id);
    if (stale !== null) {
      await store.deliveries.recordIgnored(delivery, `ignored: ${stale}`);
      log.warn({ deliveryId: id, event: name, action }, `an old event was ignored: ${stale}`);
      answer(res, 202, `Accepted and ignored: ${stale}.`);
      return "ignored";
    }
    const seen = await store.deliveries.record(delivery);
    if (seen === "duplicate") {
      log.info({ deliveryId: id, event: name }, "delivery already received; ignored");
      answer(res, 202, "Already received.");
      return "duplicate";
    }
    if (seen !== "new") {
      // The same signed body under a new delivery id: its comment or review acted already.
      log.warn(
        { deliveryId: id, event: name, replayOf: seen.replayOf, input: facts.key },
        "a replay of a delivery that acted already; recorded and ignored",
      );
      answer(res, 202, "Already acted on: this delivery replays an earlier one.");
      return "duplicate";
    }
    answer(res, 202, "Accepted.");
    queue.push(() => options.dispatch({ id, name, payload }));
    return "accepted";
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function answer(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ message }));
}

/** `3 h 2 min`, `45 min`, `12 s`: an age as a maintainer reads it. */
function duration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 0) return `${Math.max(0, Math.round(ms / 1000))} s`;
  const hours = Math.floor(minutes / 60);
  if (hours === 0) return `${minutes} min`;
  const days = Math.floor(hours / 24);
  if (days === 0) return `${hours} h${minutes % 60 === 0 ? "" : ` ${minutes % 60} min`}`;
  return `${days} d${hours % 24 === 0 ? "" : ` ${hours % 24} h`}`;
}
