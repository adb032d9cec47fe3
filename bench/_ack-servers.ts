// The two servers of the webhook benchmarks, in their own process so the load
// generator does not share their event loop: the app's webhook server (real
// ingress, real store, real Probot dispatch) and a bare node:http server that
// only checks the signature and answers 202. Prints their ports as JSON.
//   _ack-servers.ts SECRET [GITHUB_API_URL] [DATABASE_URL]
// Without a GitHub, the handlers after each 202 fail at once (nothing answers);
// without a database URL, the store is SQLite in a temporary folder.
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verify } from "@octokit/webhooks-methods";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { createStaminaServer, listen } from "../src/app/server.ts";
import { createGitHubClients } from "../src/github/client.ts";
import { createRedactor } from "../src/observability/redact.ts";
import { openStore } from "../src/store/open.ts";
import { appKeyPair } from "../test/support/app-keys.ts";

const [secret = "bench-secret", githubUrl = "http://127.0.0.1:9", databaseUrl] =
  process.argv.slice(2);

const base = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    void verify(secret, body, String(req.headers["x-hub-signature-256"])).then((ok) =>
      res.writeHead(ok ? 202 : 401).end(),
    );
  });
});

const dir = mkdtempSync(join(tmpdir(), "stamina-bench-"));
const log = pino({ level: "silent" });
const store = await openStore({
  database: databaseUrl
    ? { engine: "postgres", url: databaseUrl }
    : { engine: "sqlite", path: join(dir, "bench.db") },
  redactor: createRedactor([secret]),
});
// The fake GitHub has no rate limits, and a refusal should show, not be retried.
const { privateKey } = process.env.BENCH_APP_KEY
  ? { privateKey: process.env.BENCH_APP_KEY }
  : appKeyPair();
const probot = new Probot({
  appId: 1,
  privateKey,
  secret,
  log,
  baseUrl: githubUrl,
  Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }),
});
const clients = createGitHubClients({
  appId: 1,
  privateKey,
  baseUrl: githubUrl,
  log,
  retries: false,
});
const app = await createStaminaServer(probot, { store, clients, log, webhookSecret: secret });

const ports = {
  base: await listen(base, 0, "127.0.0.1"),
  app: await listen(app, 0, "127.0.0.1"),
  sqlite: databaseUrl ? null : join(dir, "bench.db"),
};
process.stdout.write(`${JSON.stringify(ports)}\n`);

process.once("SIGTERM", () => {
  base.close();
  app.close();
  void store.close().finally(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
});
