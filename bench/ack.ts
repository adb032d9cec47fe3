// ack: how fast the app acknowledges signed deliveries at 20 concurrent connections, against a
// bare node:http server that only checks the signature and answers 202, in the same run. Both
// servers live in one child process. Each round sends the same number of deliveries to each
// (which goes first alternates), after one warm-up batch to each; a round's ratio is the app's
// p99 over the bare server's p99.
//   ack.p99_ms        the median over rounds of the app's p99 latency
//   ack.base_p99_ms   the median over rounds of the bare server's p99 latency
//   ack.p99_ratio     the median of the rounds' ratios (_min, _max: their spread)
import { sign } from "@octokit/webhooks-methods";
import { WEBHOOK_PATH } from "../src/app/app.ts";
import { examplePayload } from "../test/support/webhooks.ts";
import { load, startHelper, type Delivery } from "./_load.ts";
import { alternate, ratioFigures, ratioPromises } from "./_rounds.ts";
import { median, percentile } from "./_stats.ts";
import type { BenchOptions, Figure, Promised } from "./_bench.ts";

const CONNECTIONS = 20;
const SECRET = "bench-secret";
const FULL = { warmup: 500, requests: 3_000, rounds: 5 };
const SMALL = { warmup: 100, requests: 300, rounds: 2 };

export const figures: readonly Promised[] = [
  { name: "ack.p99_ms", unit: "ms" },
  { name: "ack.base_p99_ms", unit: "ms" },
  ...ratioPromises("ack.p99_ratio"),
];

export async function run(options: BenchOptions): Promise<Figure[]> {
  const shape = options.small ? SMALL : FULL;
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
    await load(base, times(shape.warmup), CONNECTIONS);
    await load(app, times(shape.warmup), CONNECTIONS);
    const p99 = async (target: typeof app) =>
      percentile(await load(target, times(shape.requests), CONNECTIONS), 0.99);
    const rounds = await alternate(shape.rounds, {
      ours: () => p99(app),
      base: () => p99(base),
    });
    return [
      { name: "ack.p99_ms", value: median(rounds.ours), unit: "ms" },
      { name: "ack.base_p99_ms", value: median(rounds.base), unit: "ms" },
      ...ratioFigures("ack.p99_ratio", rounds.ratios),
    ];
  } finally {
    child.kill("SIGTERM");
  }
}
