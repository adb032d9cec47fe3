// The two servers of the ack benchmark, in their own process so the load
// generator does not share their event loop: the app's webhook server (real
// ingress, real SQLite, real Probot dispatch) and a bare node:http server that
// only checks the signature and answers 202. Prints their ports as JSON.
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
import { openStore } from "../src/runs/open-store.ts";
import { appKeyPair } from "../test/support/app-keys.ts";

const secret = process.argv[2] ?? "bench-secret";

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
  sqlitePath: join(dir, "bench.db"),
  redactor: createRedactor([secret]),
});
const { privateKey } = appKeyPair();
// No GitHub answers here: retries off, so the handlers after each 202 fail at once.
const probot = new Probot({
  appId: 1,
  privateKey,
  secret,
  log,
  baseUrl: "http://127.0.0.1:9",
  Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }),
});
const clients = createGitHubClients({
  appId: 1,
  privateKey,
  baseUrl: "http://127.0.0.1:9",
  log,
  retries: false,
});
const app = await createStaminaServer(probot, { store, clients, log, webhookSecret: secret });

const ports = {
  base: await listen(base, 0, "127.0.0.1"),
  app: await listen(app, 0, "127.0.0.1"),
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
