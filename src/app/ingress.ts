// The webhook endpoint, per the contract: verify the signature, drop a
// delivery id already seen, persist the delivery, answer 202 — and only then,
// outside the request, hand the event to the handlers.
import type { IncomingMessage, ServerResponse } from "node:http";
import { verify } from "@octokit/webhooks-methods";
import type { Logger } from "../observability/logger.ts";
import type { Store } from "../store/store.ts";
import { DispatchQueue } from "./dispatch-queue.ts";

/** GitHub caps webhook payloads at 25 MB. */
const MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;

export interface IngressOptions {
  path: string;
  secret: string;
  store: Store;
  log: Logger;
  /** Whether a handler acts on this event; others are acknowledged without being stored. */
  handles: (event: string, action: string | null) => boolean;
  /** Runs the handlers for a persisted delivery; called after the response is sent. */
  dispatch: (delivery: { id: string; name: string; payload: unknown }) => Promise<void>;
  /** Deliveries handled at once; more wait their turn (they are stored already). Default 4. */
  dispatchConcurrency?: number;
  /** An event older than this by its payload's own time is recorded and ignored. */
  maxAgeMs?: number;
  /** A body past this is refused. */
  maxBytes?: number;
  /** Bodies read at once; past this, a delivery is refused for load (503) and asked for again. */
  maxReading?: number;
  /** The clock freshness is judged by; default Date.now. */
  now?: () => number;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export function createWebhookIngress(options: IngressOptions): Handler {
  const { store, log } = options;
  const queue = new DispatchQueue(options.dispatchConcurrency ?? 4, (error) =>
    log.error({ err: error }, "a delivery could not be dispatched"),
  );
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== options.path) return false;
    if (req.method !== "POST") {
      answer(res, 405, "Webhooks are POSTed.");
      return true;
    }
    const id = header(req, "x-github-delivery");
    const name = header(req, "x-github-event");
    const signature = header(req, "x-hub-signature-256");
    if (!id || !name || !signature) {
      answer(res, 400, "Missing X-GitHub-Delivery, X-GitHub-Event or X-Hub-Signature-256.");
      return true;
    }
    const body = await readBody(req, MAX_PAYLOAD_BYTES);
    if (body === undefined) {
      answer(res, 413, "Payload larger than 25 MB.");
      return true;
    }
    if (!(await verify(options.secret, body, signature).catch(() => false))) {
      log.warn({ deliveryId: id, event: name }, "webhook signature does not match; rejected");
      answer(res, 401, "Signature does not match.");
      return true;
    }
    let payload: { action?: unknown; installation?: { id?: unknown } };
    try {
      payload = JSON.parse(body) as typeof payload;
    } catch {
      answer(res, 400, "Payload is not JSON.");
      return true;
    }
    const action = typeof payload.action === "string" ? payload.action : null;
    if (!options.handles(name, action)) {
      answer(res, 202, "Accepted; Stamina does not act on this event.");
      return true;
    }
    const seen = await store.deliveries.record({
      id,
      event: name,
      action,
      installationId: typeof payload.installation?.id === "number" ? payload.installation.id : null,
      payload: body,
    });
    if (seen === "duplicate") {
      log.info({ deliveryId: id, event: name }, "delivery already received; ignored");
      answer(res, 202, "Already received.");
      return true;
    }
    answer(res, 202, "Accepted.");
    queue.push(() => options.dispatch({ id, name, payload }));
    return true;
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function answer(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ message }));
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Past the limit, keep draining (so the 413 reaches the client) but hold nothing.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size > limit ? undefined : Buffer.concat(chunks).toString("utf8");
}
