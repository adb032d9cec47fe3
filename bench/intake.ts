// intake: signed issues.labeled deliveries (10 % of them redeliveries of earlier ones) at 50
// concurrent connections, against the app (real ingress, store and handlers, which after each 202
// talk to a fake GitHub in its own process) and, in the same run, the bare server of `ack` (one
// child process holds both). After one warm-up batch to each, each round sends the same
// deliveries to each, the order alternating; an app round labels issues of its own and waits
// for its handlers to finish before the round goes on, so neither server meets the other's
// backlog. Once every delivery is handled: how many were lost and how many runs a redelivery
// made. On SQLite (`intake.*`, the default engine) and on PostgreSQL (`intake.postgres.*`).
//   *.p99_ms           the median over rounds of the app's p99 latency to the 202
//   *.base_p99_ms      the median over rounds of the bare server's p99 latency
//   *.p99_ratio        the median of the rounds' app p99 / bare p99 (_min, _max: their spread)
//   *.per_s            the median over rounds of deliveries acknowledged per second by the app
//   *.lost             unique deliveries acknowledged (and handled) that made no run, all rounds
//   *.duplicate_runs   runs beyond one per labeled issue, all rounds
// Full form: 1,000 deliveries a round, 5 rounds; small form: 100 a round, 2 rounds.
import { sign } from "@octokit/webhooks-methods";
import Database from "better-sqlite3";
import pg from "pg";
import { WEBHOOK_PATH } from "../src/app/app.ts";
import { appKeyPair } from "../test/support/app-keys.ts";
import { createTestDatabase } from "../test/support/postgres.ts";
import { examplePayload, waitFor } from "../test/support/webhooks.ts";
import { load, startHelper, type Delivery } from "./_load.ts";
import { alternate, ratioFigures, ratioPromises } from "./_rounds.ts";
import { median, percentile } from "./_stats.ts";
import type { BenchOptions, Figure, Promised } from "./_bench.ts";

const CONNECTIONS = 50;
const SECRET = "bench-secret";
/** Per round: deliveries (redeliveries included), redeliveries among them; warm-up deliveries. */
const FULL = { deliveries: 1_000, duplicates: 100, rounds: 5, warmup: 100 };
const SMALL = { deliveries: 100, duplicates: 10, rounds: 2, warmup: 20 };
type Shape = typeof FULL;
/** Warm-up deliveries label issues from here on, outside the counted range. */
const WARMUP_ISSUES = 100_000;

export const figures: readonly Promised[] = ["intake", "intake.postgres"].flatMap((prefix) => [
  { name: `${prefix}.p99_ms`, unit: "ms" },
  { name: `${prefix}.base_p99_ms`, unit: "ms" },
  ...ratioPromises(`${prefix}.p99_ratio`, prefix === "intake.postgres" ? { atMost: 3 } : undefined),
  { name: `${prefix}.per_s`, unit: "deliveries/s" },
  { name: `${prefix}.lost`, unit: "deliveries", target: { equals: 0 } },
  { name: `${prefix}.duplicate_runs`, unit: "runs", target: { equals: 0 } },
]);

export async function run(options: BenchOptions): Promise<Figure[]> {
  const shape = options.small ? SMALL : FULL;
  const keys = appKeyPair();
  const github = await startHelper<{ apiUrl: string }>("_fake-github.ts", [], {
    BENCH_APP_PUBLIC_KEY: keys.publicKey,
  });
  try {
    const figures: Figure[] = [];
    figures.push(...(await engine(shape, "sqlite", github.ready.apiUrl, keys.privateKey)));
    const database = await createTestDatabase("bench_intake");
    try {
      figures.push(
        ...(await engine(shape, "postgres", github.ready.apiUrl, keys.privateKey, database.url)),
      );
    } finally {
      await database.drop();
    }
    return figures;
  } finally {
    github.child.kill("SIGTERM");
  }
}

async function engine(
  shape: Shape,
  name: "sqlite" | "postgres",
  apiUrl: string,
  privateKey: string,
  databaseUrl?: string,
): Promise<Figure[]> {
  const { child, ready } = await startHelper<{ base: number; app: number; sqlite: string | null }>(
    "_ack-servers.ts",
    [SECRET, apiUrl, ...(databaseUrl ? [databaseUrl] : [])],
    { BENCH_APP_KEY: privateKey },
  );
  try {
    const base = { port: ready.base, path: "/" };
    const app = { port: ready.app, path: WEBHOOK_PATH };
    const count = countRuns(ready.sqlite, databaseUrl);
    let last: Counts | undefined;
    const handled = (n: number, what: string) =>
      waitFor(
        async () => {
          last = await count();
          return last.handled === n ? last : undefined;
        },
        what,
        300_000,
      ).catch((error: unknown) => {
        // Say how far it got, and what the deliveries left unhandled were.
        throw new Error(
          `${error instanceof Error ? error.message : String(error)}: ${last?.handled ?? "?"} of ${n} handled, ${last?.runs ?? "?"} runs`,
        );
      });
    // Warm both servers (and the app's path to GitHub) on issues outside the measured range.
    const warmup = await deliveries(shape.warmup, 0, WARMUP_ISSUES);
    await load(base, warmup, CONNECTIONS);
    await load(app, warmup, CONNECTIONS);
    await handled(shape.warmup, "the warm-up deliveries to be handled");

    const unique = shape.deliveries - shape.duplicates;
    const rates: number[] = [];
    let settled: Counts | undefined;
    let appRounds = 0;
    const batches = new Map<number, Delivery[]>();
    const batch = async (round: number) => {
      if (!batches.has(round)) {
        const first = 1 + round * shape.deliveries;
        batches.set(round, await deliveries(unique, shape.duplicates, first));
      }
      return batches.get(round)!;
    };
    const rounds = await alternate(shape.rounds, {
      ours: async (round) => {
        const measured = await batch(round);
        const started = performance.now();
        const p99 = percentile(await load(app, measured, CONNECTIONS), 0.99);
        rates.push(measured.length / ((performance.now() - started) / 1000));
        appRounds++;
        settled = await handled(shape.warmup + unique * appRounds, "every delivery to be handled");
        return p99;
      },
      base: async (round) => percentile(await load(base, await batch(round), CONNECTIONS), 0.99),
    });
    const acknowledged = unique * shape.rounds;
    const prefix = name === "sqlite" ? "intake" : `intake.${name}`;
    return [
      { name: `${prefix}.p99_ms`, value: median(rounds.ours), unit: "ms" },
      { name: `${prefix}.base_p99_ms`, value: median(rounds.base), unit: "ms" },
      ...ratioFigures(`${prefix}.p99_ratio`, rounds.ratios),
      { name: `${prefix}.per_s`, value: median(rates), unit: "deliveries/s" },
      { name: `${prefix}.lost`, value: acknowledged - settled!.issuesWithRun, unit: "deliveries" },
      {
        name: `${prefix}.duplicate_runs`,
        value: settled!.runs - settled!.issuesWithRun,
        unit: "runs",
      },
    ];
  } finally {
    child.kill("SIGTERM");
  }
}

/**
 * `unique` deliveries on issues from `firstIssue`, each a labeled issue of its own, and
 * `duplicates` redeliveries of earlier ones (same id, same body) spread among them.
 */
async function deliveries(
  unique: number,
  duplicates: number,
  firstIssue: number,
): Promise<Delivery[]> {
  const list: Delivery[] = [];
  for (let i = 0; i < unique; i++) {
    const payload = examplePayload<{ issue: { number: number }; label: { name: string } }>(
      "issues",
      "labeled",
    );
    payload.issue.number = firstIssue + i;
    payload.label.name = "stamina";
    const body = JSON.stringify(payload);
    list.push({
      body,
      signature: await sign(SECRET, body),
      event: "issues",
      id: `d-${firstIssue + i}`,
    });
  }
  // Each redelivery goes a few places after its original: sometimes both are in flight at once.
  for (let d = 0; d < duplicates; d++) {
    const original = Math.floor((d * unique) / duplicates);
    list.splice(Math.min(list.length, original + 1 + (d % 60)), 0, { ...list[original]! });
  }
  return list;
}

interface Counts {
  /** Deliveries handled (their handlers finished). */
  handled: number;
  runs: number;
  /** Distinct issues that got a run. */
  issuesWithRun: number;
}

function countRuns(
  sqlitePath: string | null,
  databaseUrl: string | undefined,
): () => Promise<Counts> {
  const sqlQuery =
    "select (select count(*) from deliveries where handled_at is not null) as handled, " +
    `(select count(*) from runs where issue_number < ${WARMUP_ISSUES}) as runs, ` +
    `(select count(distinct issue_number) from runs where issue_number < ${WARMUP_ISSUES}) as issues`;
  return async () => {
    let row: { handled: number | string; runs: number | string; issues: number | string };
    if (databaseUrl) {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        row = (await client.query(sqlQuery)).rows[0] as typeof row;
      } finally {
        await client.end();
      }
    } else {
      const db = new Database(sqlitePath!, { readonly: true });
      try {
        row = db.prepare(sqlQuery).get() as typeof row;
      } finally {
        db.close();
      }
    }
    return {
      handled: Number(row.handled),
      runs: Number(row.runs),
      issuesWithRun: Number(row.issues),
    };
  };
}
