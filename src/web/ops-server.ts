// The operations port: a small HTTP server of its own for what operators' machinery asks a
// process (its health, and its metrics), for a process with no webhook server (`stamina
// worker`) or beside one. It takes a list of routes and answers 404 to anything else.
import { createServer, type Server } from "node:http";
import type { Route } from "./health-routes.ts";

export interface OpsServer {
  /** The port it listens on (the one asked for, or the one the system chose for 0). */
  port: number;
  /** Stops listening; a request under way still finishes. */
  close(): Promise<void>;
}

/** Listens on `port` at `host`; rejects with the server's error (EADDRINUSE, EACCES…). */
export async function startOpsServer(
  routes: readonly Route[],
  port: number,
  host: string,
  onError: (error: unknown) => void = () => undefined,
): Promise<OpsServer> {
  const server = createServer((req, res) => {
    void answer(routes, req, res).catch((error: unknown) => {
      onError(error);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end('{"message":"Internal Server Error"}');
    });
  });
  const listening = await listen(server, port, host);
  return {
    port: listening,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections would hold close() open.
        server.closeIdleConnections();
      }),
  };
}

async function answer(routes: readonly Route[], ...[req, res]: Parameters<Route>): Promise<void> {
  for (const route of routes) if (await route(req, res)) return;
  res.writeHead(404, { "content-type": "application/json" }).end('{"message":"Not Found"}');
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}
