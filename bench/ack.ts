// ack: how fast the app acknowledges signed deliveries at 20 concurrent
// connections, against a bare node:http server that only checks the
// signature and answers 202, measured in the same run. The ratio is the figure
// to watch; the milliseconds depend on the machine.
import { randomUUID, generateKeyPairSync } from "node:crypto";
import { createServer, Agent, request, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign, verify } from "@octokit/webhooks-methods";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { WEBHOOK_PATH } from "../src/app/app.ts";
import { createStaminaServer, listen } from "../src/app/server.ts";
import { createGitHubClients } from "../src/github/client.ts";
import { createRedactor } from "../src/observability/redact.ts";
import { openStore } from "../src/runs/open-store.ts";
import { examplePayload } from "../test/support/webhooks.ts";
import type { Figure } from "./run.ts";

const CONNECTIONS = 20;
const WARMUP = 400;
const REQUESTS = 4_000;
const SECRET = "bench-secret";

export async function run(): Promise<Figure[]> {
  // An event the app receives but does not act on: the cost measured is the
  // contract's own (verify, dedupe, persist, answer), not a GitHub round trip.
  const body = JSON.stringify(examplePayload("issues", "opened"));
  const signature = await sign(SECRET, body);

  const base = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void verify(SECRET, Buffer.concat(chunks).toString("utf8"), String(req.headers["x-hub-signature-256"])).then(
        (ok) => res.writeHead(ok ? 202 : 401).end(),
      );
    });
  });
  const basePort = await listen(base, 0, "127.0.0.1");

  const dir = mkdtempSync(join(tmpdir(), "stamina-bench-"));
  const log = pino({ level: "silent" });
  const store = await openStore({ sqlitePath: join(dir, "bench.db"), redactor: createRedactor([SECRET]) });
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const probot = new Probot({ appId: 1, privateKey, secret: SECRET, log, Octokit: ProbotOctokit });
  const clients = createGitHubClients({ appId: 1, privateKey, baseUrl: "http://127.0.0.1:9", log });
  const app = await createStaminaServer(probot, { store, clients, log, webhookSecret: SECRET });
  const appPort = await listen(app, 0, "127.0.0.1");

  try {
    const target = (port: number, path: string) => ({ port, path, body, signature });
    await load(target(basePort, "/"), WARMUP);
    await load(target(appPort, WEBHOOK_PATH), WARMUP);
    const baseP99 = percentile(await load(target(basePort, "/"), REQUESTS), 0.99);
    const appP99 = percentile(await load(target(appPort, WEBHOOK_PATH), REQUESTS), 0.99);
    return [
      { name: "ack.p99_ms", value: appP99, unit: "ms" },
      { name: "ack.base_p99_ms", value: baseP99, unit: "ms" },
      { name: "ack.p99_ratio", value: appP99 / baseP99, unit: "x" },
    ];
  } finally {
    await Promise.all([close(base), close(app)]);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Target {
  port: number;
  path: string;
  body: string;
  signature: string;
}

/** Sends `count` deliveries over CONNECTIONS keep-alive connections; returns each latency in ms. */
async function load(target: Target, count: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const started = performance.now();
      const status = await post(agent, target);
      if (status !== 202) throw new Error(`expected 202, got ${status}`);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  agent.destroy();
  return latencies;
}

function post(agent: Agent, target: Target): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: target.port,
        path: target.path,
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "x-github-event": "issues",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": target.signature,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(target.body);
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
