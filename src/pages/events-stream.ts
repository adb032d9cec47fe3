// The live timeline's stream: server-sent events of a run's audit log, from the event after
// the one the page last showed (Last-Event-ID on a reconnect, else `?after=`). The worker
// writes the store, perhaps from another process or machine, so the stream asks the store
// every `pollMs` for events it has not sent; each goes out with its seq as the event id.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PagesDeps } from "./deps.ts";
import { timelineItem } from "./timeline.ts";

const KEEPALIVE_MS = 15_000;

/** Where the stream starts: the last seq the client saw, from the header or the query. */
export function resumeFrom(req: IncomingMessage, query: URLSearchParams): number {
  const header = req.headers["last-event-id"];
  const given = typeof header === "string" ? header : (query.get("after") ?? "0");
  return /^\d{1,10}$/.test(given) ? Number(given) : 0;
}

export function streamEvents(
  deps: PagesDeps,
  runId: string,
  after: number,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    connection: "keep-alive",
  });
  // The browser waits this long before it reconnects after a dropped connection.
  res.write("retry: 1000\n\n");
  let last = after;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let sinceWrite = 0;
  const pollMs = deps.pollMs ?? 250;
  const poll = async () => {
    try {
      const events = await deps.store.audit.events(runId, last);
      for (const e of events) {
        if (closed) return;
        res.write(`id: ${e.seq}\nevent: audit\ndata: ${JSON.stringify(timelineItem(e))}\n\n`);
        last = e.seq;
      }
      sinceWrite = events.length > 0 ? 0 : sinceWrite + pollMs;
      if (sinceWrite >= KEEPALIVE_MS) {
        // A comment line: keeps proxies and the browser from closing an idle stream.
        res.write(": keep-alive\n\n");
        sinceWrite = 0;
      }
    } catch (error) {
      deps.log.warn({ err: error, runId }, "the run page's event stream could not read the store");
    }
    if (!closed) timer = setTimeout(() => void poll(), pollMs);
  };
  req.on("close", () => {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
  });
  void poll();
}
