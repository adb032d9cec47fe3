// The health endpoints on a process's operations port, with the real checks: the store's
// database (SQLite, and PostgreSQL through a TCP relay the test takes down), the sandbox's own
// probe (the real bubblewrap, a bwrap that is not there, one that cannot mount /proc), and a
// real worker. /readyz answers 503 with one sentence per failed check, naming what to fix.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import pino from "pino";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createRedactor } from "../../src/observability/redact.ts";
import { Worker } from "../../src/runs/worker.ts";
import type { DatabaseTarget } from "../../src/store/database.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import { healthRoutes } from "../../src/web/health-routes.ts";
import { startOpsServer } from "../../src/web/ops-server.ts";
import { createReadiness, type ReadinessCheck } from "../../src/web/readiness.ts";
import { databaseCheck, sandboxCheck, workerCheck } from "../../src/web/service-checks.ts";
import { createTestDatabase } from "../support/postgres.ts";
import { waitFor } from "../support/webhooks.ts";

const dir = mkdtempSync(join(tmpdir(), "stamina-health-"));
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FAST = { everyMs: 50, timeoutMs: 2_000 };
const NO_WORKER = "no worker was started, so no run is claimed: the sandbox could not start";

interface Answer {
  status: number;
  body: {
    ok: boolean;
    failed: string[];
    checks: Array<{ name: string; ok: boolean; detail: string }>;
  };
}

/** The checks behind a real operations port; its base URL. */
async function serve(checks: ReadinessCheck[], secrets: string[] = []): Promise<string> {
  const readiness = createReadiness(checks);
  const redactor = createRedactor(secrets);
  const server = await startOpsServer(
    healthRoutes(readiness, (text) => redactor.redact(text)),
    0,
    "127.0.0.1",
  );
  cleanups.push(
    () => readiness.stop(),
    () => server.close(),
  );
  return `http://127.0.0.1:${server.port}`;
}

async function ready(base: string): Promise<Answer> {
  const response = await fetch(`${base}/readyz`);
  return { status: response.status, body: (await response.json()) as Answer["body"] };
}

async function sqliteStore(name: string) {
  const target = { engine: "sqlite" as const, path: join(dir, `${name}.db`) };
  const store = await openStore({ database: target, redactor: createRedactor() });
  cleanups.push(() => store.close());
  return { store, target };
}

function startedWorker(store: Store): Worker {
  const worker = new Worker({
    store,
    workerId: "health-worker",
    concurrency: 2,
    leaseMs: 60_000,
    pollMs: 50,
    log: pino({ level: "silent" }),
    execute: () => Promise.resolve(),
  });
  worker.start();
  cleanups.push(() => worker.stop());
  return worker;
}

/** A TCP relay to PostgreSQL that the test takes down (refused) or turns into a black hole. */
async function startRelay(to: URL) {
  const sockets = new Set<Socket>();
  let hang = false;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => undefined);
    // A black hole: the connection is taken, and nothing ever answers.
    if (hang) return;
    const upstream = connect(Number(to.port || 5432), to.hostname);
    sockets.add(upstream);
    upstream.on("error", () => client.destroy());
    upstream.on("close", () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on("close", () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };
  const port = await listen(0);
  const relay = {
    port,
    /** Refuses connections from now on, and cuts the open ones. */
    async down() {
      const closed = new Promise((resolve) => server.close(resolve));
      cut();
      await closed;
    },
    /** Relays again, on the same port. */
    async up() {
      hang = false;
      await listen(port);
    },
    /** Takes connections and never answers; the open ones are cut. */
    blackHole() {
      hang = true;
      cut();
    },
  };
  cleanups.push(async () => {
    if (server.listening) await relay.down();
  });
  return relay;
}

describe("/healthz and /readyz on the operations port", () => {
  it("answers 200 when the database, the sandbox and the worker are fine, and 404 elsewhere", async () => {
    const { store, target } = await sqliteStore("fine");
    const worker = startedWorker(store);
    const base = await serve([
      databaseCheck(store, target, FAST),
      sandboxCheck({ kind: "bubblewrap" }),
      workerCheck(() => worker, NO_WORKER),
    ]);

    const live = await fetch(`${base}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ ok: true });

    const { status, body } = await ready(base);
    expect(status).toBe(200);
    expect(body.ok).toBe(true);
    expect(body.failed).toEqual([]);
    expect(body.checks.map((c) => [c.name, c.ok])).toEqual([
      ["database", true],
      ["sandbox", true],
      ["worker", true],
    ]);
    expect(body.checks[0]?.detail).toBe(`SQLite at ${target.path} answers and has every migration`);
    expect(body.checks[1]?.detail).toMatch(/^bubblewrap \d+\.\d+\.\d+ starts/);
    expect(body.checks[2]?.detail).toBe("claiming runs (0 of 2 at work)");

    const head = await fetch(`${base}/readyz`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect((await fetch(`${base}/api/github/webhooks`, { method: "POST" })).status).toBe(404);
  });

  it("answers 503 naming DATABASE_URL while PostgreSQL is down, and 200 once it is back", async () => {
    const database = await createTestDatabase("health");
    cleanups.push(() => database.drop());
    const relay = await startRelay(new URL(database.url));
    const url = new URL(database.url);
    url.host = `127.0.0.1:${relay.port}`;
    const target: DatabaseTarget = { engine: "postgres", url: url.toString() };
    const store = await openStore({ database: target, redactor: createRedactor() });
    cleanups.push(() => store.close());
    const base = await serve([databaseCheck(store, target, FAST)]);
    expect((await ready(base)).status).toBe(200);

    await relay.down();
    // The pool's open connection may first fail as cut off; the check then finds no server.
    const down = await waitFor(async () => {
      const answer = await ready(base);
      const refused = JSON.stringify(answer.body).includes("ECONNREFUSED");
      return answer.status === 503 && refused ? answer : undefined;
    }, "/readyz to say the database is down");
    const where = `PostgreSQL at 127.0.0.1:${relay.port}/${database.name}`;
    expect(down.body.ok).toBe(false);
    expect(down.body.failed).toEqual([
      `database: DATABASE_URL: ${where} does not answer (ECONNREFUSED); start the database or correct DATABASE_URL`,
    ]);
    // The process itself is up: liveness does not depend on the database.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    await relay.up();
    await waitFor(
      async () => ((await ready(base)).status === 200 ? true : undefined),
      "/readyz to say the database is back",
    );
  });

  it("answers at once with a timeout's sentence while the database does not answer at all", async () => {
    const database = await createTestDatabase("health_hang");
    cleanups.push(() => database.drop());
    const relay = await startRelay(new URL(database.url));
    const url = new URL(database.url);
    url.host = `127.0.0.1:${relay.port}`;
    const target: DatabaseTarget = { engine: "postgres", url: url.toString() };
    const store = await openStore({ database: target, redactor: createRedactor() });
    cleanups.push(() => store.close());
    const base = await serve([databaseCheck(store, target, { everyMs: 50, timeoutMs: 300 })]);
    expect((await ready(base)).status).toBe(200);

    relay.blackHole();
    const hung = await waitFor(async () => {
      const answer = await ready(base);
      return answer.status === 503 ? answer : undefined;
    }, "/readyz to give up on the database");
    expect(hung.body.failed).toEqual([
      "database: the database did not answer within 0.3 s: check that it is up and reachable (DATABASE_URL)",
    ]);
    // Let the hung connections go, so the store closes.
    await relay.down();
  });

  it("answers 503 when the database lacks a migration of this version, or has one it does not know", async () => {
    const { store, target } = await sqliteStore("migrations");
    const base = await serve([databaseCheck(store, target, FAST)]);
    expect((await ready(base)).status).toBe(200);
    const where = `SQLite at ${target.path}`;

    await sql`delete from kysely_migration where name = '010-fresh-input'`.execute(store.db);
    const behind = await waitFor(async () => {
      const answer = await ready(base);
      return answer.status === 503 ? answer : undefined;
    }, "/readyz to see the missing migration");
    expect(behind.body.failed).toEqual([
      `database: ${where} lacks 1 migration(s) of this version (010-fresh-input); restart this process, which applies them as it starts`,
    ]);

    await sql`insert into kysely_migration (name, timestamp) values ('010-fresh-input', '2026-01-01T00:00:00.000Z'), ('099-from-a-newer-stamina', '2026-01-02T00:00:00.000Z')`.execute(
      store.db,
    );
    const ahead = await waitFor(async () => {
      const answer = await ready(base);
      return answer.body.failed[0]?.includes("099") ? answer : undefined;
    }, "/readyz to see the unknown migration");
    expect(ahead.status).toBe(503);
    expect(ahead.body.failed).toEqual([
      `database: ${where} has migrations this version of Stamina does not know (099-from-a-newer-stamina): a newer Stamina migrated it; upgrade this process to that version`,
    ]);
  });

  it("answers 503 with the sandbox's own reason and remedy when bubblewrap cannot start", async () => {
    const missing = "/nonexistent/bwrap";
    const base = await serve([sandboxCheck({ kind: "bubblewrap", bwrap: missing }, FAST)]);
    const absent = await ready(base);
    expect(absent.status).toBe(503);
    expect(absent.body.failed).toHaveLength(1);
    expect(absent.body.failed[0]).toMatch(
      new RegExp(`^sandbox: ${missing} --version failed: .*Install bubblewrap`),
    );

    // A bwrap that answers --version but cannot mount /proc, as in a container whose /proc is
    // masked: the remedy names the container flag that unmasks it.
    const fake = join(dir, "bwrap");
    writeFileSync(
      fake,
      '#!/bin/sh\nif [ "$1" = --version ]; then echo "bubblewrap 0.8.0"; exit 0; fi\necho "bwrap: Can\'t mount proc on /newroot/proc: Operation not permitted" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    const contained = await ready(await serve([sandboxCheck({ kind: "bubblewrap", bwrap: fake })]));
    expect(contained.status).toBe(503);
    expect(contained.body.failed[0]).toContain(
      "sandbox: bubblewrap 0.8.0 is installed but cannot start a sandbox here (a user namespace with an unprivileged uid): bwrap: Can't mount proc on /newroot/proc: Operation not permitted",
    );
    expect(contained.body.failed[0]).toContain("--security-opt systempaths=unconfined");

    const opted = await ready(await serve([sandboxCheck({ kind: "process" })]));
    expect(opted.status).toBe(200);
    expect(opted.body.checks[0]?.detail).toMatch(/^no sandbox: STAMINA_SANDBOX=process/);
  });

  it("answers 503 while the worker is held for an operators' problem, stopping, or not there", async () => {
    const { store } = await sqliteStore("worker");
    const worker = startedWorker(store);
    const base = await serve([workerCheck(() => worker, NO_WORKER)]);
    expect((await ready(base)).status).toBe(200);

    worker.holdClaims({
      setting: "ANTHROPIC_API_KEY",
      problem: "the model's API refused Stamina's credentials (401); check ANTHROPIC_API_KEY",
    });
    const held = await ready(base);
    expect(held.status).toBe(503);
    expect(held.body.failed[0]).toMatch(
      /^worker: no run is claimed until ANTHROPIC_API_KEY works \(the model's API refused Stamina's credentials \(401\); check ANTHROPIC_API_KEY\): fix ANTHROPIC_API_KEY and restart Stamina; this worker tries again at \d{4}-/,
    );

    await worker.stop();
    expect((await ready(base)).body.failed).toEqual([
      "worker: the worker is shutting down: it claims no new run and hands its runs back after their current step",
    ]);

    const none = await ready(await serve([workerCheck(() => undefined, NO_WORKER)]));
    expect(none.status).toBe(503);
    expect(none.body.failed).toEqual([`worker: ${NO_WORKER}`]);
  });

  it("redacts what it serves, and fails a check that throws with its message", async () => {
    const secret = "sk-ant-health-secret-0123456789abcdef";
    const base = await serve(
      [
        { name: "leaky", run: () => ({ ok: false, detail: `refused ${secret}` }) },
        {
          name: "broken",
          everyMs: 1_000,
          run: () => Promise.reject(new Error("no route to the thing")),
        },
      ],
      [secret],
    );
    const { status, body } = await ready(base);
    expect(status).toBe(503);
    expect(JSON.stringify(body)).not.toContain(secret);
    expect(body.failed).toEqual([
      "leaky: refused [REDACTED]",
      "broken: the broken check failed: no route to the thing",
    ]);
  });
});
