// A TCP port free on `host` a moment ago: for a server a test or benchmark starts that cannot be
// given port 0 (PostgreSQL's -p, Probot reading PORT=0 as 3000).
import { createServer } from "node:net";

export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error(`no port was given on ${host}`)),
      );
    });
  });
}
