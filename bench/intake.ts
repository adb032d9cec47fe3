// intake: 1,000 signed issues.labeled deliveries (10 % of them redeliveries of
// earlier ones) at 50 concurrent connections, in 3 rounds (medians kept),
// against the app (real ingress,
// store and handlers, which after each 202 talk to a fake GitHub in its own
// process) and, in the same run, the bare server of `ack`. Then, once every
// delivery is handled: how many were lost (acknowledged but no run) and how
// many runs a redelivery made. On SQLite (`intake.*`, the default engine) and
// on PostgreSQL (`intake.postgres.*`).
import { sign } from "@octokit/webhooks-methods";
import Database from "better-sqlite3";
import pg from "pg";
import { WEBHOOK_PATH } from "../src/app/app.ts";
import { appKeyPair } from "../test/support/app-keys.ts";
import { createTestDatabase } from "../test/support/postgres.ts";
import { examplePayload, waitFor } from "../test/support/webhooks.ts";
import { load, startHelper, type Delivery } from "./_load.ts";
import { median, percentile } from "./_stats.ts";
import type { BenchOptions, Figure, Promised } from "./_bench.ts";

const CONNECTIONS = 50;
const DELIVERIES = 1_000;
const DUPLICATES = 100;
const ROUNDS = 3;
const SECRET = "bench-secret";
/** Warm-up deliveries label issues from here on, outside the counted range. */
const WARMUP_ISSUES = 100_000;

export const figures: readonly Promised[] = ["intake", "intake.postgres"].flatMap((prefix) => [
  { name: `${prefix}.p99_ms`, unit: "ms" },
  { name: `${prefix}.base_p99_ms`, unit: "ms" },
  {
    name: `${prefix}.p99_ratio`,
    unit: "x",
    ...(prefix === "intake.postgres" ? { target: { atMost: 3 } } : {}),
  },
  { name: `${prefix}.per_s`, unit: "deliveries/s" },
  { name: `${prefix}.lost`, unit: "deliveries", target: { equals: 0 } },
  { name: `${prefix}.duplicate_runs`, unit: "runs", target: { equals: 0 } },
]);

export async function run(_options: BenchOptions): Promise<Figure[]> {
  const keys = appKeyPair();
  const github = await startHelper<{ apiUrl: string }>("_fake-github.ts", [], {
    BENCH_APP_PUBLIC_KEY: keys.publicKey,
  });
  try {
    const figures: Figure[] = [];
    figures.push(...(await engine("sqlite", github.ready.apiUrl, keys.privateKey)));
    const database = await createTestDatabase("bench_intake");
    try {
      figures.push(
        ...(await engine("postgres", github.ready.apiUrl, keys.privateKey, database.url)),
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
    // Warm both servers (and the app's path to GitHub) on issues outside the measured range.
    const warmup = await deliveries(100, 0, WARMUP_ISSUES);
    await load(base, warmup, CONNECTIONS);
    await load(app, warmup, CONNECTIONS);
    await waitFor(
      async () => ((await count()).handled === 100 ? true : undefined),
      "warm-up",
      60_000,
    );

    // Rounds alternate between the servers; each app round labels issues of its own, and its
    // handlers finish before the next round, so neither server meets the other's backlog.
    const unique = DELIVERIES - DUPLICATES;
    const baseP99s: number[] = [];
    const appP99s: number[] = [];
    const rates: number[] = [];
    let settled: Counts | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const measured = await deliveries(unique, DUPLICATES, 1 + round * DELIVERIES);
      baseP99s.push(percentile(await load(base, measured, CONNECTIONS), 0.99));
      const started = performance.now();
      appP99s.push(percentile(await load(app, measured, CONNECTIONS), 0.99));
      rates.push(DELIVERIES / ((performance.now() - started) / 1000));
      settled = await waitFor(
        async () => {
          const c = await count();
          return c.handled === 100 + unique * (round + 1) ? c : undefined;
        },
        "every delivery to be handled",
        300_000,
      );
    }
    const appP99 = median(appP99s);
    const baseP99 = median(baseP99s);
    const acknowledged = unique * ROUNDS;
    const prefix = name === "sqlite" ? "intake" : `intake.${name}`;
    return [
      { name: `${prefix}.p99_ms`, value: appP99, unit: "ms" },
      { name: `${prefix}.base_p99_ms`, value: baseP99, unit: "ms" },
      { name: `${prefix}.p99_ratio`, value: appP99 / baseP99, unit: "x" },
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
