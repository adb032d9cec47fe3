// The store contract's races on SQLite, across processes: the contract's own cases run on one
// connection there (SQLite's lock wait blocks the thread, see contract/world.ts), where nothing
// can interleave. Here three processes, each with its own connection to one database file (as
// `stamina serve` and two `stamina worker`s on one machine are), claim runs, append to one audit
// log and edit one repository's memory at the same instant, which holds only because every
// read-then-write takes the write lock first (BEGIN IMMEDIATE, src/store/database.ts).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { verifyChain } from "../../src/audit/verify.ts";
import { createRedactor } from "../../src/observability/redact.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";

const dir = mkdtempSync(join(tmpdir(), "stamina-store-race-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SIDES = ["a", "b", "c"];
let path = "";
let databases = 0;

/** A fresh database file, migrated before the racers open it; `fill` runs on it first. */
async function database(fill: (store: Store) => Promise<void> = () => Promise.resolve()) {
  path = join(dir, `stamina-${++databases}.db`);
  const store = await openStore({
    database: { engine: "sqlite", path },
    redactor: createRedactor([]),
  });
  try {
    await fill(store);
  } finally {
    await store.close();
  }
}

/** Runs one racer per side, let go together once all are open; what each printed. */
async function race<T>(mode: string, ...args: string[]): Promise<T[][]> {
  const racers = SIDES.map((side) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(import.meta.dirname, "race", "store-racer.ts"),
        path,
        mode,
        side,
        ...args,
      ],
      { stdio: ["pipe", "pipe", "pipe"], timeout: 150_000 },
    );
    let out = "";
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const ready = new Promise<void>((resolve) =>
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.startsWith("ready\n")) resolve();
      }),
    );
    const done = new Promise<T[]>((resolve, reject) =>
      child.on("close", (code) => {
        if (code === 0) resolve(JSON.parse(out.slice("ready\n".length)) as T[]);
        else reject(new Error(`racer ${side} exited with ${code}: ${err}`));
      }),
    );
    return { child, ready: Promise.race([ready, done.then(() => undefined)]), done };
  });
  await Promise.all(racers.map((r) => r.ready));
  for (const r of racers) r.child.stdin.write("go\n");
  return Promise.all(racers.map((r) => r.done));
}

/** Queues a run on issue `issue`; its id. */
async function queued(store: Store, issue: number): Promise<string> {
  const created = await store.runs.create({
    installationId: 7,
    owner: "octo",
    repo: "demo",
    issueNumber: issue,
    issueTitle: "Fix it",
    issueBody: "Please",
    requestedBy: "maintainer",
    deliveryId: `d-${issue}`,
    config: parseRepoConfig({}),
  });
  if (!created.created) throw new Error("expected a new run");
  return created.run.id;
}

const opened = () =>
  openStore({ database: { engine: "sqlite", path }, redactor: createRedactor([]) });

describe("the SQLite store with three processes at once", () => {
  beforeEach(() => {
    path = "";
  });

  it("never hands one run to two workers claiming at once, and leaves none unclaimed", async () => {
    const ids: string[] = [];
    await database(async (store) => {
      for (let issue = 1; issue <= 60; issue++) {
        ids.push(await queued(store, issue));
      }
    });
    const claims = await race<string>("claim");
    const all = claims.flat();
    expect(new Set(all).size, "a run was handed to two workers").toBe(all.length);
    expect([...all].sort()).toEqual([...ids].sort());
    // Each process claimed some: the claims did interleave.
    for (const [i, mine] of claims.entries())
      expect(mine.length, `worker ${SIDES[i]}`).toBeGreaterThan(0);
  }, 180_000);

  it("keeps one audit log gapless and chained when three writers append at once", async () => {
    let runId = "";
    await database(async (store) => {
      runId = await queued(store, 1);
    });
    const seqs = await race<number>("append", runId, "40");
    const store = await opened();
    try {
      const events = await store.audit.events(runId);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
      expect(verifyChain(events).ok).toBe(true);
      // Every writer got the seq its event has, and each writer's events are in its order.
      expect(seqs.flat().sort((x, y) => x - y)).toEqual(events.map((e) => e.seq));
      for (const [i, side] of SIDES.entries()) {
        const own = events.filter((e) => e.type.startsWith(`${side}.`)).map((e) => e.type);
        expect(own).toEqual(Array.from({ length: 40 }, (_, n) => `${side}.${n}`));
        expect(events.filter((e) => e.type.startsWith(`${side}.`)).map((e) => e.seq)).toEqual(
          seqs[i],
        );
      }
    } finally {
      await store.close();
    }
  }, 180_000);

  it("loses no memory edit when three writers edit one repository at once", async () => {
    await database();
    const lines = await race<string>("memory", "30");
    const store = await opened();
    try {
      const [log] = await store.memory.files("octo/demo");
      const expected = SIDES.flatMap((side) =>
        Array.from({ length: 30 }, (_, i) => `${side} ${i}`),
      );
      expect(lines.flat().sort()).toEqual([...expected].sort());
      expect(log?.content.split("\n").sort()).toEqual([...expected].sort());
    } finally {
      await store.close();
    }
  }, 180_000);
});
