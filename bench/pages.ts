// pages: the run pages on a long run. A recorded run of 2,000 steps (about 10,000 audit events,
// bench/_audit-log.ts) is appended to a real store (SQLite in memory, hashed as a worker does).
//   pages.ratio        building its run page (health charts, timeline, sections) against a plain
//                      JSON.stringify of its events, in the same run: the median of the rounds'
//                      ratios, the sides taking turns (target: at most 3)
//   pages.render_ms    the median time of one run page
//   pages.chain_ms     the median time of its chain check (a hash per event), which the page asks
//                      for on its own request (/runs/ID/chain) once it is shown
//   pages.sse_p99_ms   the delay from an event's commit to the store to its arrival at a client
//                      of the page's event stream (/runs/ID/events over HTTP on loopback, the
//                      server polling the store every 250 ms, as served), 99th percentile
// Small form: 200 steps, 2 rounds, 20 streamed events.
import { createServer, get } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { createRedactor } from "../src/observability/redact.ts";
import { localGate } from "../src/pages/local-gate.ts";
import { pageRoutes } from "../src/pages/routes.ts";
import { runPage } from "../src/pages/run-page.ts";
import { chainCheck } from "../src/pages/run-sections.ts";
import { parseRepoConfig } from "../src/policy/config.ts";
import { openStore } from "../src/store/open.ts";
import type { Store } from "../src/store/store.ts";
import { recordedSteps } from "./_audit-log.ts";
import type { BenchOptions, Figure, Promised } from "./_bench.ts";
import { alternate, ratioFigures, ratioPromises } from "./_rounds.ts";
import { median, percentile } from "./_stats.ts";

export const figures: readonly Promised[] = [
  ...ratioPromises("pages.ratio", { atMost: 3 }),
  { name: "pages.render_ms", unit: "ms" },
  { name: "pages.chain_ms", unit: "ms" },
  { name: "pages.sse_p99_ms", unit: "ms" },
];

async function timed(work: () => unknown): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** Appends `count` events one at a time, spaced out, and times each from its commit to its arrival. */
async function streamDelays(store: Store, runId: string, count: number): Promise<number[]> {
  const route = pageRoutes({
    store,
    gate: localGate(),
    log: pino({ level: "silent" }),
    now: () => Date.now(),
  });
  const server = createServer((req, res) => void route(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const after = (await store.audit.events(runId)).at(-1)?.seq ?? 0;
  const committed = new Map<number, number>();
  const delays: number[] = [];
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  const request = get(`http://127.0.0.1:${port}/runs/${runId}/events?after=${after}`, (res) => {
    let buffer = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      const arrived = performance.now();
      buffer += chunk;
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const id = /^id: (\d+)$/m.exec(buffer.slice(0, end))?.[1];
        buffer = buffer.slice(end + 2);
        const at = id === undefined ? undefined : committed.get(Number(id));
        if (at !== undefined) delays.push(arrived - at);
        if (delays.length === count) done();
      }
    });
  });
  for (let i = 0; i < count; i++) {
    // Spaced out over the poll period, so events land at every point of it.
    await new Promise((resolve) => setTimeout(resolve, 37 + (i % 7) * 23));
    const [event] = await store.audit.append(runId, [{ type: "hook.note", data: { n: i } }]);
    committed.set(event!.seq, performance.now());
  }
  await all;
  request.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return delays;
}

export async function run(options: BenchOptions): Promise<Figure[]> {
  const steps = options.small ? 200 : 2000;
  const store = await openStore({ sqlitePath: ":memory:", redactor: createRedactor() });
  const created = await store.runs.create({
    installationId: 1,
    owner: "octo-org",
    repo: "greeter",
    issueNumber: 1,
    issueTitle: "Greeting lacks punctuation",
    issueBody: "greet() should say `Hello, NAME!`",
    requestedBy: "maintainer",
    deliveryId: "bench-pages",
    config: parseRepoConfig({}),
  });
  if (!created.created) throw new Error("the benchmark's run was not created");
  const queued = created.run;
  const entries = recordedSteps(steps);
  for (let i = 0; i < entries.length; i += 500)
    await store.audit.append(queued.id, entries.slice(i, i + 500));
  const events = await store.audit.events(queued.id);
  const run = (await store.runs.get(queued.id))!;
  const ours = () =>
    timed(() => runPage({ run, events, latestDiff: undefined, now: Date.now() }).text.length);
  const base = () => timed(() => JSON.stringify(events).length);
  await ours();
  await base();
  const rounds = await alternate(options.small ? 2 : 9, { ours, base });
  const chain: number[] = [];
  for (let i = 0; i < (options.small ? 2 : 5); i++) {
    chain.push(await timed(() => chainCheck(events).chain.status));
  }
  const delays = await streamDelays(store, queued.id, options.small ? 20 : 200);
  await store.close();
  return [
    ...ratioFigures("pages.ratio", rounds.ratios),
    { name: "pages.render_ms", value: median(rounds.ours), unit: "ms" },
    { name: "pages.chain_ms", value: median(chain), unit: "ms" },
    { name: "pages.sse_p99_ms", value: percentile(delays, 0.99), unit: "ms" },
  ];
}
