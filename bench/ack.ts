// ack: how fast the app acknowledges signed deliveries at 20 concurrent
// connections, against a bare node:http server that only checks the
// signature and answers 202, in the same run. Both servers live in one child
// process; rounds alternate between them and the median p99 of each is kept,
// so a noisy moment hits both. The ratio is the figure to watch.
import { randomUUID } from "node:crypto";
import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { createInterface } from "node:readline";
import { sign } from "@octokit/webhooks-methods";
import { WEBHOOK_PATH } from "../src/app/app.ts";
import { examplePayload } from "../test/support/webhooks.ts";
import { median, percentile } from "./_stats.ts";
import type { Figure } from "./run.ts";

const CONNECTIONS = 20;
const WARMUP = 500;
const REQUESTS = 3_000;
const ROUNDS = 3;
const SECRET = "bench-secret";

export async function run(): Promise<Figure[]> {
  // An event the app acts on, so each delivery is verified, deduplicated and
  // persisted before the 202. The handlers run after the answer and find no
  // GitHub to talk to (they fail fast); what is measured is the acknowledgement.
  const body = JSON.stringify(examplePayload("issues", "labeled"));
  const signature = await sign(SECRET, body);
  const child = spawn(
    process.execPath,
    ["--import", "tsx", new URL("./_ack-servers.ts", import.meta.url).pathname, SECRET],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  try {
    const ports = await firstLine<{ base: number; app: number }>(child.stdout);
    const base = { port: ports.base, path: "/", body, signature };
    const app = { port: ports.app, path: WEBHOOK_PATH, body, signature };
    await load(base, WARMUP);
    await load(app, WARMUP);
    const baseP99s: number[] = [];
    const appP99s: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      baseP99s.push(percentile(await load(base, REQUESTS), 0.99));
      appP99s.push(percentile(await load(app, REQUESTS), 0.99));
    }
    const appP99 = median(appP99s);
    const baseP99 = median(baseP99s);
    return [
      { name: "ack.p99_ms", value: appP99, unit: "ms" },
      { name: "ack.base_p99_ms", value: baseP99, unit: "ms" },
      { name: "ack.p99_ratio", value: appP99 / baseP99, unit: "x" },
    ];
  } finally {
    child.kill("SIGTERM");
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
  let sent = 0;
  const connection = async () => {
    while (sent < count) {
      sent++;
      const started = performance.now();
      const status = await post(agent, target);
      if (status !== 202) throw new Error(`expected 202, got ${status}`);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, connection));
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

async function firstLine<T>(stream: NodeJS.ReadableStream): Promise<T> {
  for await (const line of createInterface({ input: stream })) return JSON.parse(line) as T;
  throw new Error("the benchmark servers exited before printing their ports");
}
