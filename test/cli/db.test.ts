// `stamina db copy --to URL` and `stamina db backup FILE` on a store as a deployment leaves it
// (db-world.ts, written through the real store API): the copy into an empty PostgreSQL
// database, and into SQLite, holds every row of every table and every audit chain still
// verifies (signatures included); a second copy into the now non-empty target is refused, as
// is a copy while a worker holds a lease; sequences continue past the ids copied; a copy that
// fails leaves the target empty; the database password is printed nowhere. The backup is a
// consistent SQLite database while another process writes.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePublicKey, SIGNED_EVENT } from "../../src/audit/signing.ts";
import { verifyChain, verifySignatures } from "../../src/audit/verify.ts";
import { dbCommand } from "../../src/cli/db.ts";
import { createRedactor } from "../../src/observability/redact.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";
import { checkCopy } from "../../src/store/copy-check.ts";
import { copyStore, tablesWithRows } from "../../src/store/copy.ts";
import type { DatabaseTarget } from "../../src/store/database.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { populateStore, tableContents } from "./db-world.ts";

const PASSWORD = "s3cret-db-password-7f2a";
const root = mkdtempSync(join(tmpdir(), "stamina-db-"));
const dataDir = join(root, "data");
let publicKey: string;
const databases: TestDatabase[] = [];

beforeAll(async () => {
  ({ publicKey } = await populateStore(join(dataDir, "stamina.db")));
}, 60_000);
afterAll(async () => {
  for (const database of databases) await database.drop();
  rmSync(root, { recursive: true, force: true });
});

/** `stamina db ARGS` with Stamina's data under `data` (its SQLite store there). */
async function stamina(args: string[], data = dataDir) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await dbCommand(args, {
    out: { write: (text: string) => out.push(text) },
    err: { write: (text: string) => err.push(text) },
    env: { PATH: process.env.PATH, STAMINA_DATA_DIR: data },
  });
  const [stdout, stderr] = [out.join(""), err.join("")];
  expect(`${stdout}${stderr}`).not.toContain(PASSWORD);
  return { status, stdout, stderr };
}

/** A new PostgreSQL database of this file's, and its URL with a password (trust auth ignores it). */
async function emptyPostgres(): Promise<{ url: string; target: DatabaseTarget }> {
  const database = await createTestDatabase("dbcopy");
  databases.push(database);
  const url = new URL(database.url);
  url.password = PASSWORD;
  return { url: url.toString(), target: { engine: "postgres", url: url.toString() } };
}

async function opened<T>(database: DatabaseTarget, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ database, redactor: createRedactor() });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const source: DatabaseTarget = { engine: "sqlite", path: join(dataDir, "stamina.db") };

/** Holds that `target` has every row of every table of the source, and that its chains verify. */
async function expectSameStore(target: DatabaseTarget): Promise<void> {
  const before = await opened(source, (s) => tableContents(s.db));
  const after = await opened(target, (s) => tableContents(s.db));
  expect(before.size).toBeGreaterThanOrEqual(11);
  for (const [table, rows] of before) {
    // A table with no rows in the populated store is a table whose copy nothing tests.
    expect(rows.length, `db-world.ts writes no row into ${table}: add some`).toBeGreaterThan(0);
    expect(after.get(table), table).toEqual(rows);
  }
  const key = parsePublicKey(publicKey);
  const runs = await opened(source, (s) => s.db.selectFrom("runs").select("id").execute());
  let signed = 0;
  await opened(target, async (store) => {
    for (const { id } of runs) {
      const events = await store.audit.events(id);
      if (events.length === 0) continue;
      expect(verifyChain(events), id).toMatchObject({ ok: true });
      if (events.at(-1)?.type !== SIGNED_EVENT) continue;
      expect(verifySignatures(events, key), id).toMatchObject({ ok: true });
      signed += 1;
    }
  });
  expect(signed).toBeGreaterThanOrEqual(3);
}

describe("stamina db copy", () => {
  it("copies every table into an empty PostgreSQL database, checks it, and refuses a second copy", async () => {
    const { url, target } = await emptyPostgres();
    const copied = await stamina(["copy", "--to", url]);
    expect(copied.stderr).toBe("");
    expect(copied.status).toBe(0);
    expect(copied.stdout).toContain(
      `Copying SQLite at ${source.path} into PostgreSQL at 127.0.0.1:5432/`,
    );
    for (const [table, rows] of await opened(source, (s) => tableContents(s.db))) {
      expect(copied.stdout).toMatch(new RegExp(`^  ${table} +${rows.length} rows?$`, "m"));
    }
    expect(copied.stdout).toMatch(/every audit chain \(\d+\) verifies on the target/);
    expect(copied.stdout).toContain("Next: set DATABASE_URL to the URL given to --to");
    await expectSameStore(target);

    const again = await stamina(["copy", "--to", url]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(
      /already holds rows \(.*runs: \d+.*\)\. db copy fills an empty database only/,
    );
    expect(again.stdout).toBe("");
    await expectSameStore(target);

    // The copy carries on: a new run gets a new id and a chain of its own that verifies.
    await opened(target, async (store) => {
      const result = await store.runs.create({
        installationId: 7,
        owner: "octo",
        repo: "demo",
        issueNumber: 60,
        issueTitle: "After the move",
        issueBody: "",
        requestedBy: "maintainer",
        deliveryId: "delivery-after-move",
        config: parseRepoConfig({}),
      });
      if (!result.created) throw new Error("expected a new run on the target");
      const ids = await opened(source, (s) => s.db.selectFrom("runs").select("id").execute());
      expect(ids.map((r) => r.id)).not.toContain(result.run.id);
      await store.audit.append(result.run.id, [{ type: "run.claimed", data: {} }]);
      expect(verifyChain(await store.audit.events(result.run.id))).toMatchObject({ ok: true });
    });
  }, 60_000);

  it("copies into SQLite too, and from PostgreSQL back, in batches, row for row", async () => {
    const sqlite: DatabaseTarget = { engine: "sqlite", path: join(root, "moved", "stamina.db") };
    const copied = await stamina(["copy", "--to", `sqlite:${sqlite.path}`]);
    expect(copied.stderr).toBe("");
    expect(copied.status).toBe(0);
    expect(copied.stdout).toContain(`Next: set DATABASE_URL=sqlite:${sqlite.path}`);
    await expectSameStore(sqlite);

    // PostgreSQL to SQLite, a few rows a batch, so every table takes several.
    const { url, target: postgres } = await emptyPostgres();
    expect((await stamina(["copy", "--to", url])).status).toBe(0);
    const back: DatabaseTarget = { engine: "sqlite", path: join(root, "back", "stamina.db") };
    await opened(postgres, (from) =>
      opened(back, async (into) => {
        await copyStore(from, into, { batchRows: 2 });
        expect((await checkCopy(from, into)).problems).toEqual([]);
      }),
    );
    await expectSameStore(back);
  }, 60_000);

  it("moves PostgreSQL's sequences past the ids copied, so the next row gets a fresh one", async () => {
    const data = join(root, "sequences");
    await opened({ engine: "sqlite", path: join(data, "stamina.db") }, async (store) => {
      for (const table of ["numbered_serial", "numbered_identity"]) {
        await sqlExec(store, `create table ${table} (id integer primary key, note text not null)`);
        await sqlExec(store, `insert into ${table} (id, note) values (1, 'a'), (2, 'b'), (7, 'c')`);
      }
    });
    // A table no migration of this version makes has nowhere to go: refused before anything is written.
    const elsewhere = await stamina(["copy", "--to", `sqlite:${join(data, "other.db")}`], data);
    expect(elsewhere.status).toBe(1);
    expect(elsewhere.stderr).toBe(
      "stamina db copy: table numbered_serial is in the source but not in the target after its migrations: the source was written by another version of Stamina, or by hand. Copy with the version that wrote it.\n",
    );
    const { url, target } = await emptyPostgres();
    // What a migration would make on PostgreSQL: a serial column, and one the database always fills.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(
        "create table numbered_serial (id serial primary key, note text not null)",
      );
      await client.query(
        "create table numbered_identity (id integer generated always as identity primary key, note text not null)",
      );
      const copied = await stamina(["copy", "--to", url], data);
      expect(copied.stderr).toBe("");
      expect(copied.status).toBe(0);
      for (const table of ["numbered_serial", "numbered_identity"]) {
        const next = await client.query<{ id: number }>(
          `insert into ${table} (note) values ('next') returning id`,
        );
        expect(next.rows[0]?.id, table).toBe(8);
      }
    } finally {
      await client.end();
    }
    await opened(target, async (store) =>
      expect(await tablesWithRows(store.db, "postgres")).toContainEqual({
        table: "numbered_identity",
        rows: 4,
      }),
    );
  }, 60_000);

  it("rolls a failed copy back, leaving the target empty, and says which table failed", async () => {
    const data = join(root, "nul");
    await opened({ engine: "sqlite", path: join(data, "stamina.db") }, async (store) => {
      // SQLite keeps a NUL in text; PostgreSQL's text cannot hold one.
      await store.memory.edit("octo/demo", () => ({
        result: undefined,
        change: { put: [{ path: "/memories/a.md", content: "before\u0000after" }], remove: [] },
      }));
      await store.installations.record(7, "octo");
    });
    const { url, target } = await emptyPostgres();
    const copied = await stamina(["copy", "--to", url], data);
    expect(copied.status).toBe(1);
    expect(copied.stderr).toMatch(
      /the copy failed and was rolled back, so PostgreSQL at \S+ holds no rows again: table repository_memory: invalid byte sequence/,
    );
    await opened(target, async (store) =>
      expect(await tablesWithRows(store.db, "postgres")).toEqual([]),
    );
  }, 60_000);

  it("refuses while a worker holds a lease on the source, before touching the target", async () => {
    const data = join(root, "live");
    await opened({ engine: "sqlite", path: join(data, "stamina.db") }, async (store) => {
      await store.runs.create({
        installationId: 7,
        owner: "octo",
        repo: "demo",
        issueNumber: 1,
        issueTitle: "Busy",
        issueBody: "",
        requestedBy: "maintainer",
        deliveryId: "delivery-busy",
        config: parseRepoConfig({}),
      });
      expect(await store.leases.claimNext("worker-live", 10 * 60_000)).toBeDefined();
    });
    const into = join(root, "live-copy", "stamina.db");
    const copied = await stamina(["copy", "--to", `sqlite:${into}`], data);
    expect(copied.status).toBe(1);
    expect(copied.stderr).toMatch(
      /^stamina db copy: run \S+ is held by worker worker-live until \S+: Stamina is working on this database\. Stop every Stamina process \(all, serve, worker\) first/,
    );
    expect(existsSync(into)).toBe(false);
  });

  it("says what it cannot act on, and which database did not answer, without its password", async () => {
    const usage = async (args: string[], says: string) => {
      const result = await stamina(args);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(says);
      expect(result.stderr).toContain("usage: stamina db copy --to URL");
    };
    await usage([], "say copy or backup");
    await usage(["copy"], "give --to URL");
    await usage(
      ["copy", "--to", "mysql://root@db/stamina"],
      "--to: use postgres://USER@HOST:PORT/DATABASE or sqlite:PATH",
    );
    await usage(["copy", "--to", "sqlite:/tmp/x.db", "--from", "y"], "Unknown option '--from'");
    await usage(["backup"], "backup takes one FILE");

    const same = await stamina(["copy", "--to", `sqlite:${source.path}`]);
    expect(same.status).toBe(1);
    expect(same.stderr).toContain("--to names the database Stamina uses now");

    const closed = await stamina([
      "copy",
      "--to",
      `postgres://postgres:${PASSWORD}@127.0.0.1:1/nowhere`,
    ]);
    expect(closed.status).toBe(1);
    expect(closed.stderr).toBe(
      "stamina db copy: --to: PostgreSQL at 127.0.0.1:1/nowhere could not be opened (ECONNREFUSED); start the database or correct --to\n",
    );
  });
});

describe("stamina db backup", () => {
  it("writes a consistent copy of the SQLite store while another process writes to it", async () => {
    const data = join(root, "busy");
    const path = join(data, "stamina.db");
    await populateStore(path);
    const runId = await opened(
      { engine: "sqlite", path },
      async (s) =>
        (await s.db.selectFrom("runs").select("id").orderBy("created_at").executeTakeFirstOrThrow())
          .id,
    );
    const writer = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", WRITER, path, runId],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: writer.stdout }).once("line", () => resolve());
        writer.once("exit", (code) => reject(new Error(`the writer exited (${code})`)));
      });
      const file = join(root, "backups", "stamina-backup.db");
      mkdirSync(join(root, "backups"));
      const done = await stamina(["backup", file], data);
      expect(done.stderr).toBe("");
      expect(done.status).toBe(0);
      expect(done.stdout).toMatch(
        /^Backed up SQLite at .* to .*: [\d,]+ pages, one consistent snapshot, and SQLite's integrity check passes on it\./,
      );

      const backup: DatabaseTarget = { engine: "sqlite", path: file };
      const events = await opened(backup, (s) => s.audit.events(runId));
      // The writer had written 20 events before the backup began; the chain is whole wherever it stops.
      expect(events.filter((e) => e.type === "busy.write").length).toBeGreaterThanOrEqual(20);
      expect(verifyChain(events)).toMatchObject({ ok: true });
      writer.kill();
      const [original, copy] = [
        await opened({ engine: "sqlite", path }, (s) => tableContents(s.db)),
        await opened(backup, (s) => tableContents(s.db)),
      ];
      original.delete("audit_events");
      copy.delete("audit_events");
      expect(copy).toEqual(original);

      const again = await stamina(["backup", file], data);
      expect(again.status).toBe(1);
      expect(again.stderr).toContain("exists already; Stamina does not overwrite a backup");
    } finally {
      writer.kill();
    }
  }, 60_000);

  it("names the pg_dump command for PostgreSQL, without the password, and writes nothing", async () => {
    const out: string[] = [];
    const url = `postgres://stamina:${PASSWORD}@db.internal:5433/stamina?sslmode=require`;
    const status = await dbCommand(["backup", "nightly.dump"], {
      out: { write: (text: string) => out.push(text) },
      err: { write: (text: string) => out.push(text) },
      env: { PATH: process.env.PATH, DATABASE_URL: url },
    });
    expect(status).toBe(1);
    const text = out.join("");
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain(
      "  pg_dump --format=custom --file='nightly.dump' --dbname='postgres://stamina@db.internal:5433/stamina?sslmode=require'\n",
    );
    expect(text).toContain("it wrote nothing");
    expect(existsSync("nightly.dump")).toBe(false);
  });
});

/** Appends to a run's chain as fast as it can, saying once it has written 20 events. */
const WRITER = `
import { openStore } from "./src/store/open.ts";
import { createRedactor } from "./src/observability/redact.ts";
const [path, runId] = process.argv.slice(1);
const store = await openStore({ sqlitePath: path, redactor: createRedactor() });
for (let n = 1; ; n++) {
  await store.audit.append(runId, [{ type: "busy.write", data: { n, text: "x".repeat(4000) } }]);
  if (n === 20) process.stdout.write("writing\\n");
}
`;

async function sqlExec(store: Store, statement: string): Promise<void> {
  await sql.raw(statement).execute(store.db);
}
