// The HTTP server: Probot's node middleware with Stamina's routes added
// through addHandler (the webhook ingress answers before Probot's own route).
import { createServer, type Server } from "node:http";
import { createNodeMiddleware, type Probot } from "probot";
import { staminaApp, type AppOptions } from "./app.ts";

export async function createStaminaServer(probot: Probot, options: AppOptions): Promise<Server> {
  const middleware = await createNodeMiddleware(staminaApp(options), { probot });
  return createServer((req, res) => {
    void middleware(req, res, () => {
      res.writeHead(404, { "content-type": "application/json" }).end('{"message":"Not Found"}');
    });
  });
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
