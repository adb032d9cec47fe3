// The two engines behind the one store: SQLite (embedded, the default) and
// PostgreSQL (for more than one process or machine), opened and migrated the
// same way, and a write transaction that serialises writers on both.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from "kysely";
import pg from "pg";
import { preparedOnce } from "./sqlite-statements.ts";
import { migrateToLatest } from "./migrate.ts";
import type { Database } from "./schema.ts";

export type DatabaseTarget =
  | { engine: "sqlite"; /** A file path, or ":memory:". */ path: string }
  | { engine: "postgres"; url: string; poolSize?: number };

export type Engine = DatabaseTarget["engine"];

export interface OpenedDatabase {
  db: Kysely<Database>;
  engine: Engine;
}

/** What each record store of the store is given: the database, its engine and the store's clock. */
export interface StoreContext extends OpenedDatabase {
  readonly clock: () => Date;
  /** The store's clock as the ISO text the tables keep. */
  readonly now: () => string;
}

export async function openDatabase(
  target: DatabaseTarget,
  /** Told when an idle PostgreSQL connection fails (the pool replaces it). */
  onIdleError: (error: Error) => void = () => undefined,
): Promise<OpenedDatabase> {
  const db = connectDatabase(target, onIdleError);
  try {
    await migrateToLatest(db as unknown as Kysely<unknown>);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { db, engine: target.engine };
}

/** The database as it is, not migrated: for a command that looks before it changes anything. */
export function connectDatabase(
  target: DatabaseTarget,
  onIdleError: (error: Error) => void = () => undefined,
): Kysely<Database> {
  return target.engine === "sqlite"
    ? sqliteDatabase(target.path)
    : postgresDatabase(target, onIdleError);
}

function sqliteDatabase(path: string): Kysely<Database> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  // WAL lets the webhook server and worker processes share the file.
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("busy_timeout = 5000");
  // WAL with NORMAL sync survives a crash of the process (not of the OS) without an fsync per commit.
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: preparedOnce(sqlite) }) });
}

function postgresDatabase(
  target: { url: string; poolSize?: number },
  onIdleError: (error: Error) => void,
): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: target.url, max: target.poolSize ?? 10 });
  // An idle client that loses its server (a restart, a failover) must not crash the process:
  // the pool drops it, the next query opens a new connection, and the caller logs it.
  pool.on("error", onIdleError);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Runs `fn` in a transaction that holds the engine's write lock from its first statement:
 * SQLite's `BEGIN IMMEDIATE` (so a read-then-write never meets another process's write
 * half-way), PostgreSQL's ordinary transaction (callers lock the rows they read).
 */
export async function writeTransaction<T>(
  opened: OpenedDatabase,
  fn: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (opened.engine === "postgres") {
    return opened.db.transaction().execute((trx: Transaction<Database>) => fn(trx));
  }
  // The SQLite driver has one connection behind a mutex: holding it keeps this process's
  // other queries out until the transaction ends.
  return opened.db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (error) {
      await sql`rollback`.execute(conn);
      throw error;
    }
  });
}
