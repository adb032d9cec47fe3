// ack: how fast the app acknowledges signed deliveries at 20 concurrent
// connections, against a bare node:http server that only checks the
// signature and answers 202, in the same run. Both servers live in one child
// process; rounds alternate between them and the median p99 of each is kept,
// so a noisy moment hits both. The ratio is the figure to watch.
import { sign } from "@octokit/webhooks-methods";
import { WEBHOOK_PATH } from "../src/app/app.ts";
import { examplePayload } from "../test/support/webhooks.ts";
import { load, startHelper, type Delivery } from "./_load.ts";
import { median, percentile } from "./_stats.ts";
import type { BenchOptions, Figure, Promised } from "./_bench.ts";

const CONNECTIONS = 20;
const WARMUP = 500;
const REQUESTS = 3_000;
const ROUNDS = 3;
const SECRET = "bench-secret";

export const figures: readonly Promised[] = [
  { name: "ack.p99_ms", unit: "ms" },
  { name: "ack.base_p99_ms", unit: "ms" },
  { name: "ack.p99_ratio", unit: "x" },
];

export async function run(_options: BenchOptions): Promise<Figure[]> {
  // An event the app acts on, so each delivery is verified, deduplicated and
  // persisted before the 202. The handlers run after the answer and find no
  // GitHub to talk to (they fail fast); what is measured is the acknowledgement.
  const body = JSON.stringify(examplePayload("issues", "labeled"));
  const delivery: Delivery = { body, signature: await sign(SECRET, body), event: "issues" };
  const { child, ready: ports } = await startHelper<{ base: number; app: number }>(
    "_ack-servers.ts",
    [SECRET],
  );
  try {
    const base = { port: ports.base, path: "/" };
    const app = { port: ports.app, path: WEBHOOK_PATH };
    const times = (n: number) => Array<Delivery>(n).fill(delivery);
    await load(base, times(WARMUP), CONNECTIONS);
    await load(app, times(WARMUP), CONNECTIONS);
    const baseP99s: number[] = [];
    const appP99s: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      baseP99s.push(percentile(await load(base, times(REQUESTS), CONNECTIONS), 0.99));
      appP99s.push(percentile(await load(app, times(REQUESTS), CONNECTIONS), 0.99));
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
