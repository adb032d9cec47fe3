// WEBHOOK_PROXY_URL, Probot's development tunnel: a smee.io channel (the app's webhook URL on
// GitHub) streams each delivery it receives as a server-sent event, and the tunnel posts it to
// Stamina's own ingress on this machine with GitHub's headers, so the ingress checks its
// signature, deduplicates and stores it as it does any delivery: a forged event through the
// tunnel is refused like any other. smee-client keeps the connection (and reconnects); the
// posting is done here, because smee-client's own throws out of an event listener on an event
// that is not a delivery, which would end the process. For development only: the channel is
// public to whoever knows its URL, and it re-encodes each body, so a delivery whose bytes change
// on the way (GitHub's `\u003c` for `<`, say) fails its signature check.
import { SmeeClient } from "smee-client";
import type { Logger } from "../observability/logger.ts";
import { WEBHOOK_PATH } from "./app.ts";

export interface WebhookTunnel {
  stop(): Promise<void>;
}

export interface TunnelOptions {
  /** Where Stamina's server listens (HOST and the port it got). */
  host: string;
  port: number;
  log: Logger;
  /** After the channel refuses the connection (not a stream, a 404, a 5xx), the wait to try again. */
  retryMs?: number;
}

type Problem = "lost" | "refused" | "forward" | "not a delivery";

/** The headers of one connection, not of the delivery: never passed on. */
const NOT_FORWARDED = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "content-length",
  "proxy-authorization",
]);

/** A tunnel from `source` to Stamina's ingress; with no `source` (unset), one that does nothing. */
export function openWebhookTunnel(
  source: string | undefined,
  options: TunnelOptions,
): WebhookTunnel {
  if (source === undefined) return { stop: () => Promise.resolve() };
  return new Tunnel(source, options);
}

class Tunnel implements WebhookTunnel {
  private readonly shown: string;
  private readonly target: string;
  private readonly log: Logger;
  private client: SmeeClient | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Each kind of problem is said once at warn, then at debug: a flapping stream is no flood. */
  private readonly warned = new Set<Problem>();
  /** Whether the next connection is worth an info line: the first, or one after a warning. */
  private tellConnected = true;

  constructor(
    private readonly source: string,
    private readonly options: TunnelOptions,
  ) {
    this.log = options.log.child({ tunnel: "WEBHOOK_PROXY_URL" });
    this.shown = shownUrl(source);
    this.target = `http://${loopbackOf(options.host)}:${options.port}${WEBHOOK_PATH}`;
    this.log.info(
      { source: this.shown, target: this.target },
      `WEBHOOK_PROXY_URL is set: deliveries to ${this.shown} are forwarded to ${this.target} (a development tunnel; in production, point the app's webhook URL at Stamina and unset it)`,
    );
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.client?.stop();
  }

  private connect(): void {
    const quiet = (...args: unknown[]) => this.log.debug(this.hidden(args.map(String).join(" ")));
    const client = new SmeeClient({
      source: this.source,
      target: this.target,
      logger: { info: quiet, error: quiet },
      forward: false,
    });
    client.onopen = () => {
      const message = `the development tunnel is connected to ${this.shown}`;
      if (this.tellConnected) this.log.info({ source: this.shown }, message);
      else this.log.debug({ source: this.shown }, message);
      this.tellConnected = false;
    };
    client.onmessage = (message) => void this.forward(String(message.data));
    client.onerror = (event) => this.lost(event);
    this.client = client;
    // A failure to connect is reported by onerror, and retried there.
    client.start().catch(() => undefined);
  }

  /** A connection that failed: the stream reconnects by itself, unless the channel refused it. */
  private lost(event: { code?: number | undefined; message?: string | undefined }): void {
    const reason = this.hidden(event.message ?? "the connection ended");
    if (event.code === undefined) {
      this.warn("lost", `the development tunnel lost ${this.shown} (${reason}); reconnecting`);
      return;
    }
    const retryMs = this.options.retryMs ?? 30_000;
    this.warn(
      "refused",
      `the development tunnel's channel ${this.shown} refused it (${reason}): check WEBHOOK_PROXY_URL; trying again every ${retryMs / 1000} s`,
    );
    const refused = this.client;
    this.retry = setTimeout(() => {
      void refused?.stop().then(() => {
        if (!this.stopped) this.connect();
      });
    }, retryMs);
  }

  /** One event of the channel posted to the ingress as GitHub posted it to the channel. */
  private async forward(data: string): Promise<void> {
    const delivery = deliveryOf(data);
    if (delivery === undefined) {
      this.warn(
        "not a delivery",
        "the development tunnel skipped an event that is not a webhook delivery (JSON with its headers and a body)",
      );
      return;
    }
    const fields = {
      deliveryId: delivery.headers["x-github-delivery"],
      event: delivery.headers["x-github-event"],
    };
    try {
      const response = await fetch(this.target, {
        method: "POST",
        headers: delivery.headers,
        body: delivery.body,
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      this.log.info(
        { ...fields, status: response.status },
        `a delivery came through the development tunnel: ${response.status}`,
      );
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
      this.warn(
        "forward",
        `the development tunnel could not post a delivery to ${this.target} (${reason})`,
        fields,
      );
    }
  }

  private warn(kind: Problem, message: string, fields: object = {}): void {
    const first = !this.warned.has(kind);
    this.warned.add(kind);
    const at = { source: this.shown, ...fields };
    if (first) {
      this.log.warn(at, message);
      if (kind === "lost" || kind === "refused") this.tellConnected = true;
    } else this.log.debug(at, message);
  }

  /** A text with the channel's full URL (credentials, a query) shown as `shown`. */
  private hidden(text: string): string {
    return text.split(this.source).join(this.shown);
  }
}

/**
 * A smee.io event as a delivery: every header GitHub sent (lower-cased, as smee.io passes them
 * on) but those of the connection, and the body, which smee.io parsed (JSON text again here).
 */
function deliveryOf(data: string): { headers: Record<string, string>; body: string } | undefined {
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!isRecord(event) || !isRecord(event.body)) return undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event)) {
    if (typeof value === "string" && !NOT_FORWARDED.has(name)) headers[name] = value;
  }
  headers["content-type"] = "application/json";
  return { headers, body: JSON.stringify(event.body) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The URL without what may be a secret in it: a user and password, a query, a fragment. */
function shownUrl(url: string): string {
  const shown = new URL(url);
  shown.username = "";
  shown.password = "";
  shown.search = "";
  shown.hash = "";
  return shown.toString();
}

/** The address to reach a server listening on `host` from this machine. */
function loopbackOf(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "[::1]";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
