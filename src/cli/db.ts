// `stamina db copy --to URL` and `stamina db backup FILE`: the admin's hands on Stamina's
// database. `copy` moves a deployment into another, empty database (SQLite to PostgreSQL when
// one machine is no longer enough), checks the copy and says what to set next; `backup` takes
// a consistent copy of a SQLite store while Stamina runs, and for PostgreSQL names the pg_dump
// command. Nothing either prints carries the database's password.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Kysely } from "kysely";
import { createRedactor, type Redactor } from "../observability/redact.ts";
import { backupSqlite } from "../store/backup.ts";
import { checkCopy } from "../store/copy-check.ts";
import { copyStore, CopyRefused, tablesWithRows } from "../store/copy.ts";
import { connectDatabase, type DatabaseTarget, type OpenedDatabase } from "../store/database.ts";
import { migrateToLatest } from "../store/migrate.ts";
import { openStore } from "../store/open.ts";
import { databaseLocation, databaseProblem } from "../store/probe.ts";
import type { Store } from "../store/store.ts";
import { databaseSecrets, readSettings } from "../settings.ts";
import type { Out } from "./console.ts";

export const DB_USAGE = `usage: stamina db copy --to URL
       stamina db backup FILE

  copy --to URL   copies Stamina's database (DATABASE_URL, else SQLite under STAMINA_DATA_DIR)
                  into another, empty one: URL is postgres://USER@HOST:PORT/DATABASE or
                  sqlite:PATH. Stop every Stamina process first. The target is migrated, every
                  table copied in one transaction, then checked: as many rows in each table, and
                  every run's audit chain whole, ending where it ends in the source.
  backup FILE     SQLite: writes a consistent copy of the database to FILE with SQLite's online
                  backup API (safe while Stamina runs). PostgreSQL: prints the pg_dump command.
`;

type Io = { out: Out; err: Out; env: NodeJS.ProcessEnv };

export async function dbCommand(args: string[], io: Io): Promise<number> {
  const usage = (problem: string) => {
    io.err.write(`stamina db: ${problem}\n\n${DB_USAGE}`);
    return 2;
  };
  const [sub, ...rest] = args;
  if (sub !== "copy" && sub !== "backup") return usage("say copy or backup.");
  let parsed: { values: { to?: string }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      options: { to: { type: "string" } },
      allowPositionals: sub === "backup",
      strict: true,
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  if (sub === "backup") {
    const [file, ...more] = parsed.positionals;
    if (file === undefined || more.length > 0 || parsed.values.to !== undefined) {
      return usage("backup takes one FILE to write the copy to.");
    }
    return backup(readSettings(io.env).database, file, io);
  }
  const to = parsed.values.to;
  if (to === undefined || to === "") return usage("give --to URL, the database to copy into.");
  const target = targetOf(to);
  if (target === undefined) {
    return usage(`--to: use postgres://USER@HOST:PORT/DATABASE or sqlite:PATH, not ${shown(to)}.`);
  }
  return copy(readSettings(io.env).database, target, io);
}

/** `--to` as `DATABASE_URL` takes it. */
function targetOf(url: string): DatabaseTarget | undefined {
  if (url.startsWith("sqlite:") && url.length > 7) {
    return { engine: "sqlite", path: resolve(url.slice(7)) };
  }
  if (/^postgres(ql)?:\/\/./.test(url)) return { engine: "postgres", url };
  return undefined;
}

/** A URL as it may be printed: without its password. */
function shown(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "";
    return parsed.toString();
  } catch {
    return "what was given";
  }
}

async function copy(source: DatabaseTarget, target: DatabaseTarget, io: Io): Promise<number> {
  const redactor = createRedactor([...databaseSecrets(source), ...databaseSecrets(target)]);
  const refuse = (text: string) => {
    io.err.write(`stamina db copy: ${redactor.redact(text)}\n`);
    return 1;
  };
  const [from, to] = [databaseLocation(source), databaseLocation(target)];
  if (from === to) {
    return refuse(`--to names the database Stamina uses now (${from}); give another, empty one.`);
  }
  if (source.engine === "sqlite" && !existsSync(source.path))
    return refuse(noDatabase(source.path));
  let store: Store;
  try {
    store = await openStore({ database: source, redactor: createRedactor() });
  } catch (error) {
    return refuse(databaseProblem(source, error));
  }
  try {
    const live = await store.leases.live();
    if (live.length > 0) return refuse(stillRunning(live));
    let into: OpenedDatabase;
    try {
      into = await openEmpty(target);
    } catch (error) {
      return refuse(
        error instanceof CopyRefused ? error.message : databaseProblem(target, error, "--to"),
      );
    }
    try {
      return await copyInto(store, into, { from, to, target }, io, redactor);
    } finally {
      await into.db.destroy();
    }
  } finally {
    await store.close();
  }
}

/** The target, refused unless it holds no rows at all, then migrated to this version's schema. */
async function openEmpty(target: DatabaseTarget): Promise<OpenedDatabase> {
  const db = connectDatabase(target);
  try {
    const holding = await tablesWithRows(db, target.engine);
    if (holding.length > 0) {
      const what = holding.map((t) => `${t.table}: ${t.rows}`).join(", ");
      const fresh = target.engine === "postgres" ? " (createdb NAME)" : "";
      throw new CopyRefused(
        `${databaseLocation(target)} already holds rows (${what}). db copy fills an empty database only, so nothing there is overwritten: give --to a new database${fresh}, or empty this one if nothing in it is needed.`,
      );
    }
    await migrateToLatest(db as unknown as Kysely<unknown>);
    return { db, engine: target.engine };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

async function copyInto(
  store: Store,
  into: OpenedDatabase,
  where: { from: string; to: string; target: DatabaseTarget },
  io: Io,
  redactor: Redactor,
): Promise<number> {
  const source: OpenedDatabase = { db: store.db, engine: store.engine };
  io.out.write(`Copying ${where.from} into ${where.to}, migrated to this version's schema.\n`);
  let copied;
  try {
    copied = await copyStore(source, into, {
      onTable: ({ table, rows }) => io.out.write(`  ${table.padEnd(28)} ${count(rows, "row")}\n`),
    });
  } catch (error) {
    const why =
      error instanceof CopyRefused
        ? error.message
        : `the copy failed and was rolled back, so ${where.to} holds no rows again: ${error instanceof Error ? error.message : String(error)}`;
    io.err.write(`stamina db copy: ${redactor.redact(why)}\n`);
    return 1;
  }
  const total = copied.reduce((n, t) => n + t.rows, 0);
  io.out.write(
    `Copied ${count(total, "row")} in ${count(copied.length, "table")}, in one transaction.\n`,
  );
  const check = await checkCopy(source, into);
  if (check.problems.length > 0) {
    io.err.write(
      `stamina db copy: the copy does not match the source; keep Stamina on ${where.from}, drop the target and copy again:\n${check.problems.map((p) => `  ${p}\n`).join("")}`,
    );
    return 1;
  }
  const setting =
    where.target.engine === "sqlite"
      ? `DATABASE_URL=sqlite:${where.target.path}`
      : "DATABASE_URL to the URL given to --to";
  io.out.write(
    `Checked: every table holds as many rows as in the source, and every audit chain (${check.chains}) verifies on the target, ending at its head in the source.\nNext: set ${setting} wherever a Stamina process reads its settings, and start them.\n`,
  );
  return 0;
}

async function backup(source: DatabaseTarget, file: string, io: Io): Promise<number> {
  const refuse = (text: string) => {
    io.err.write(`stamina db backup: ${text}\n`);
    return 1;
  };
  if (source.engine === "postgres") {
    io.out.write(pgDump(source.url, file));
    return 1;
  }
  if (!existsSync(source.path)) return refuse(noDatabase(source.path));
  const path = resolve(file);
  if (existsSync(path)) {
    return refuse(`${path} exists already; Stamina does not overwrite a backup: name a new file.`);
  }
  if (!existsSync(dirname(path))) {
    return refuse(
      `${dirname(path)} does not exist: create it, or name a file in a folder that does.`,
    );
  }
  const done = await backupSqlite(source.path, path);
  if (done.integrity !== "ok") {
    return refuse(
      `the copy in ${path} fails SQLite's integrity check (${done.integrity}); do not rely on it.`,
    );
  }
  io.out.write(
    `Backed up SQLite at ${source.path} to ${path}: ${count(done.pages, "page")}, one consistent snapshot, and SQLite's integrity check passes on it.\nTo restore: stop Stamina, delete ${source.path}-wal and ${source.path}-shm where they are, put the copy in place of ${source.path}, and start Stamina.\n`,
  );
  return 0;
}

/** What to run instead on PostgreSQL, with the URL as DATABASE_URL has it, minus the password. */
function pgDump(url: string, file: string): string {
  const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  return `Stamina's database is ${databaseLocation({ engine: "postgres", url })}, and \`stamina db backup\` copies SQLite only: it wrote nothing. Back PostgreSQL up with pg_dump, which reads one consistent snapshot while Stamina runs:

  pg_dump --format=custom --file=${quote(file)} --dbname=${quote(shown(url))}

pg_dump asks for the password, or reads it from PGPASSWORD or ~/.pgpass. Restore into a new, empty database with pg_restore --dbname=URL ${quote(file)}.
`;
}

function stillRunning(live: Array<{ runId: string; workerId: string; expiresAt: string }>): string {
  const [first] = live;
  const more = live.length > 1 ? ` (and ${count(live.length - 1, "more run")})` : "";
  return `run ${first!.runId} is held by worker ${first!.workerId} until ${first!.expiresAt}${more}: Stamina is working on this database. Stop every Stamina process (all, serve, worker) first, so nothing is written during the copy; a lease left by a worker that died ends by itself at that time.`;
}

function noDatabase(path: string): string {
  return `there is no database at ${path}: set DATABASE_URL (or STAMINA_DATA_DIR) as Stamina's services have it.`;
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
}
