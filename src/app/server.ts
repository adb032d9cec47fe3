// The HTTP server: Probot's node middleware with Stamina's routes added
// through addHandler (the webhook ingress answers before Probot's own route).
import { createServer, type Server } from "node:http";
import { createNodeMiddleware, type Probot } from "probot";
import { staminaApp, type AppOptions } from "./app.ts";
import { createRedelivery } from "./redeliver.ts";

/**
 * Without `options.redelivery`, the server asks GitHub again for deliveries refused for load
 * itself: its sweep runs while the server listens. A caller that passes its own starts and
 * stops it (main.ts, which awaits the last sweep before it closes the store).
 */
export async function createStaminaServer(probot: Probot, options: AppOptions): Promise<Server> {
  let redelivery = options.redelivery;
  let own: ReturnType<typeof createRedelivery> | undefined;
  if (redelivery === undefined) {
    own = createRedelivery({
      store: options.store,
      request: options.clients.appRequest,
      log: options.log,
      maxPending: options.webhook?.maxPendingRedeliveries,
    });
    redelivery = own;
  }
  const middleware = await createNodeMiddleware(staminaApp({ ...options, redelivery }), { probot });
  const server = createServer((req, res) => {
    void middleware(req, res, () => {
      res.writeHead(404, { "content-type": "application/json" }).end('{"message":"Not Found"}');
    });
  });
  if (own !== undefined) {
    const sweeps = own;
    server.on("listening", () => sweeps.start());
    server.on("close", () => void sweeps.stop());
  }
  return server;
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}
