// The health endpoints every Stamina process answers: /healthz (the process is up) and /readyz
// (it can do its work: 200, or 503 with what failed), as routes that Probot's server
// (addHandler) and the operations port (ops-server.ts) both take.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readiness } from "./readiness.ts";

/** A request handler: true when it answered the request, false to leave it to the next one. */
export type Route = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

const HEALTH_PATHS = { live: "/healthz", ready: "/readyz" } as const;

/**
 * `redact` passes every text of the readiness body (a database's error, say) through the
 * process's redactor: the body is served to whoever reaches the port.
 */
export function healthRoutes(readiness: Readiness, redact: (text: string) => string): Route[] {
  const live: Route = (req, res) => {
    if (pathOf(req) !== HEALTH_PATHS.live) return false;
    send(req, res, 200, { ok: true });
    return true;
  };
  const ready: Route = async (req, res) => {
    if (pathOf(req) !== HEALTH_PATHS.ready) return false;
    const report = await readiness.report();
    send(req, res, report.ok ? 200 : 503, {
      ok: report.ok,
      failed: report.failed.map(redact),
      checks: report.checks.map((check) => ({ ...check, detail: redact(check.detail) })),
    });
    return true;
  };
  return [live, ready];
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? "").split("?")[0] ?? "";
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  // Probes are never cached on the way: each one asks the process again.
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : JSON.stringify(body));
}
