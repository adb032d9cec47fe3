// The load benchmark's fleet: a fake GitHub with one repository per installation, the scripted
// model answering every run the same three steps (edit greet.js, end the work, answer the
// review), one `stamina serve` and one or more `stamina worker` processes on SQLite or
// PostgreSQL. A burst of signed `issues.labeled` deliveries is posted to the server while the
// workers' memory is sampled; once every run has ended, what the store holds of them is read.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { WEBHOOK_PATH } from "../src/app/app.ts";
import { appKeyPair } from "../test/support/app-keys.ts";
import { appEnv, startAppProcess, type AppProcess } from "../test/support/app-process.ts";
import { byStep } from "../test/support/by-step.ts";
import { startFakeGitHub } from "../test/support/fake-github/index.ts";
import { editFile, reply, startModelServer, text } from "../test/support/model-server/index.ts";
import { labeledIssuePayload, postWebhook } from "../test/support/webhooks.ts";
import type { Held, Started } from "./_fairness.ts";
import { sampleTreeRss, treeRssMb } from "./_rss.ts";

const SECRET = "bench-load-webhook-secret-0123456789";
const MODEL_KEY = "sk-ant-bench-load-key-0123456789abcdef";
const REPO = "greeter";
const TERMINAL = ["succeeded", "failed", "cancelled", "out_of_budget"];
/** The audit events that end a worker's hold on a run. */
const LET_GO = new Set(["run.finished", "run.released", "run.paused", "run.retry_scheduled"]);
const SAMPLE_MS = 100;
/** How long a process may take to start on a busy machine. */
const START_MS = 180_000;

export interface FleetShape {
  /** Runs asked for by each installation (installation i + 1 asks for demands[i]), in order. */
  demands: readonly number[];
  /** Runs held at once by all workers together (each worker's share of them). */
  slots: number;
  /** STAMINA_INSTALLATION_MAX_RUNS. */
  cap: number;
}

export interface FleetResult {
  runs: Array<{ installation: number; state: string; steps: number }>;
  held: Held[];
  started: Started[];
  /** From the first delivery posted to the last run's end (ms). */
  makespanMs: number;
  /** The workers' resident memory once started, before the first delivery (MB). */
  idleRssMb: number;
  /** The most resident memory of the workers and what they started, sampled (MB). */
  peakRssMb: number;
}

/**
 * Runs the burst once: `workers` worker processes on SQLite (`database` unset) or the
 * PostgreSQL database at `database`, each holding slots / workers runs at most. Throws when a
 * process exits early or a run has not ended after `timeoutMs`.
 */
export async function runFleet(
  shape: FleetShape,
  workers: number,
  database: string | undefined,
  timeoutMs: number,
): Promise<FleetResult> {
  const keys = appKeyPair();
  const dir = mkdtempSync(join(tmpdir(), "stamina-bench-load-"));
  const github = await startFakeGitHub({ appId: 1, appPublicKeyPem: keys.publicKey });
  const total = shape.demands.reduce((sum, n) => sum + n, 0);
  const edit = reply(editFile("greet.js", "`Hello ${name}`", "`Hello, ${name}!`"));
  const model = await startModelServer(
    byStep(
      [edit, reply(text("Greets with a comma now.")), reply(text("greet() says `Hello, NAME!`."))],
      // Three requests a run, with room for retried steps.
      10 * total,
    ),
    { apiKey: MODEL_KEY },
  );
  const processes: AppProcess[] = [];
  try {
    for (const [i] of shape.demands.entries()) {
      const owner = `org-${i + 1}`;
      github.addInstallation(i + 1, owner);
      await github.createRepository({
        owner,
        name: REPO,
        installationId: i + 1,
        files: {
          "greet.js": "export const greet = (name) => `Hello ${name}`;\n",
          ".github/stamina.yml": "test: grep -q 'Hello, ' greet.js\n",
        },
      });
      github.setPermission(owner, REPO, "maintainer", "write");
    }
    const env = {
      ...appEnv({
        dir,
        privateKey: keys.privateKey,
        webhookSecret: SECRET,
        githubHost: github.host,
        modelKey: MODEL_KEY,
        modelUrl: model.url,
      }),
      ...(database ? { DATABASE_URL: database } : {}),
      LOG_LEVEL: "info",
      STAMINA_SANDBOX: "process",
      STAMINA_POLL_MS: "100",
      // The fake GitHub has no rate limits; pacing writes would only lengthen every run.
      STAMINA_GITHUB_THROTTLE: "off",
      STAMINA_MAX_ACTIVE_RUNS: String(shape.slots),
      STAMINA_INSTALLATION_MAX_RUNS: String(shape.cap),
      STAMINA_WORKER_CONCURRENCY: String(Math.ceil(shape.slots / workers)),
    };
    const serve = startAppProcess("serve", env);
    processes.push(serve);
    // The server migrates the store before it listens; the workers start on a migrated one.
    const listening = await serve.waitForLog(
      /"port":(\d+)[^\n]*listening/,
      "the server to listen",
      START_MS,
    );
    const url = `http://127.0.0.1:${listening[1]}${WEBHOOK_PATH}`;
    const fleet = Array.from({ length: workers }, (_, w) =>
      startAppProcess("worker", { ...env, STAMINA_WORKER_ID: `bench-worker-${w + 1}` }),
    );
    processes.push(...fleet);
    await Promise.all(
      fleet.map((w) => w.waitForLog(/worker started/, "a worker to start", START_MS)),
    );
    const pids = fleet.map((w) => w.child.pid!);
    const idleRssMb = treeRssMb(pids);
    const sampler = sampleTreeRss(() => pids, SAMPLE_MS);

    const posted = Date.now();
    let issue = 0;
    for (const [i, demand] of shape.demands.entries()) {
      for (let n = 0; n < demand; n++) {
        const payload = labeledIssuePayload({
          owner: `org-${i + 1}`,
          repo: REPO,
          issue: ++issue,
          installationId: i + 1,
          title: `Greeting lacks punctuation (${issue})`,
          body: "greet() should say `Hello, NAME!`",
        });
        const answer = await postWebhook({ url, secret: SECRET, event: "issues", payload });
        if (answer.status !== 202) throw new Error(`the webhook was answered ${answer.status}`);
      }
    }
    const read = reader(database, join(dir, "data", "stamina.db"));
    await untilEnded(read, total, processes, timeoutMs);
    const peakRssMb = sampler.stop().peakMb;
    const result = await collect(read);
    const ends = result.held.map((h) => h.to);
    return { ...result, makespanMs: Math.max(...ends) - posted, idleRssMb, peakRssMb };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await model.close();
    await github.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Read = <T>(query: string) => Promise<T[]>;

/** A query on the fleet's store: the PostgreSQL database at `database`, else the SQLite file. */
function reader(database: string | undefined, sqlite: string): Read {
  return async <T>(query: string) => {
    if (database) {
      const client = new pg.Client({ connectionString: database });
      await client.connect();
      try {
        return (await client.query(query)).rows as T[];
      } finally {
        await client.end();
      }
    }
    const db = new Database(sqlite, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(query).all() as T[];
    } finally {
      db.close();
    }
  };
}

/** Waits until the store holds `total` runs, all ended; throws naming what is left. */
async function untilEnded(
  read: Read,
  total: number,
  processes: readonly AppProcess[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exited = processes.find((p) => p.child.exitCode !== null);
    if (exited)
      throw new Error(`a stamina process exited (${exited.child.exitCode}):\n${exited.logs()}`);
    const rows = await read<{ state: string; n: number | string }>(
      "select state, count(*) as n from runs group by state",
    );
    const count = (states: string[]) =>
      rows.filter((r) => states.includes(r.state)).reduce((sum, r) => sum + Number(r.n), 0);
    if (count(TERMINAL) === total) return;
    if (Date.now() > deadline) {
      const states = rows.map((r) => `${r.n} ${r.state}`).join(", ");
      throw new Error(
        `${total} runs asked for, not all ended in time: ${states || "no runs"}${await lastEvents(read)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Where each run not ended stands: its issue, state and last audit event, one a line. */
async function lastEvents(read: Read): Promise<string> {
  const rows = await read<{ issue_number: number; state: string; type: string; ts: string }>(
    "select r.issue_number, r.state, e.type, e.ts from runs r join audit_events e on e.run_id = r.id " +
      `where r.state not in (${TERMINAL.map((t) => `'${t}'`).join(", ")}) ` +
      "and e.seq = (select max(seq) from audit_events where run_id = r.id) order by r.issue_number",
  );
  return rows.map((r) => `\n  #${r.issue_number} ${r.state}, last ${r.type} at ${r.ts}`).join("");
}

/** The runs, and from their audit events when each was held and when each began. */
async function collect(read: Read): Promise<Pick<FleetResult, "runs" | "held" | "started">> {
  const runs = await read<{
    id: string;
    installation_id: number;
    state: string;
    steps_used: number;
  }>("select id, installation_id, state, steps_used from runs");
  const events = await read<{ run_id: string; type: string; ts: string }>(
    "select run_id, type, ts from audit_events where type in " +
      `('run.claimed', ${[...LET_GO].map((t) => `'${t}'`).join(", ")}) order by run_id, seq`,
  );
  const installationOf = new Map(runs.map((r) => [r.id, Number(r.installation_id)]));
  const held: Held[] = [];
  const started = new Map<string, Started>();
  const claimedAt = new Map<string, number>();
  for (const event of events) {
    const installation = installationOf.get(event.run_id)!;
    const at = Date.parse(event.ts);
    if (event.type === "run.claimed") {
      if (!started.has(event.run_id)) started.set(event.run_id, { installation, at });
      claimedAt.set(event.run_id, at);
    } else if (claimedAt.has(event.run_id)) {
      held.push({ installation, from: claimedAt.get(event.run_id)!, to: at });
      claimedAt.delete(event.run_id);
    }
  }
  if (claimedAt.size > 0) throw new Error(`${claimedAt.size} runs were claimed and never let go`);
  return {
    runs: runs.map((r) => ({
      installation: Number(r.installation_id),
      state: r.state,
      steps: Number(r.steps_used),
    })),
    held,
    started: [...started.values()],
  };
}
