// Load generation for the webhook benchmarks: signed deliveries over
// keep-alive connections, each one's latency, and the percentiles of them.
import { randomUUID } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { Agent, request } from "node:http";
import { createInterface } from "node:readline";

export interface Target {
  port: number;
  path: string;
}

export interface Delivery {
  body: string;
  signature: string;
  event: string;
  /** A fresh id per post when unset. */
  id?: string;
}

/** Posts `deliveries` over `connections` keep-alive connections; the latency of each in ms. */
export async function load(
  target: Target,
  deliveries: Delivery[],
  connections: number,
): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let next = 0;
  const connection = async () => {
    while (next < deliveries.length) {
      const delivery = deliveries[next++]!;
      const started = performance.now();
      const status = await post(agent, target, delivery);
      if (status !== 202) throw new Error(`expected 202, got ${status}`);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: connections }, connection));
  agent.destroy();
  return latencies;
}

function post(agent: Agent, target: Target, delivery: Delivery): Promise<number> {
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
          "x-github-event": delivery.event,
          "x-github-delivery": delivery.id ?? randomUUID(),
          "x-hub-signature-256": delivery.signature,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(delivery.body);
  });
}

/** Starts a bench helper (bench/_NAME.ts) in its own process; its first stdout line as JSON. */
export async function startHelper<T>(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; ready: T }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", new URL(`./${name}`, import.meta.url).pathname, ...args],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } },
  );
  for await (const line of createInterface({ input: child.stdout })) {
    return { child, ready: JSON.parse(line) as T };
  }
  throw new Error(`${name} exited before it was ready`);
}
