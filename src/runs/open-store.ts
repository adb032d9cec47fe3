// Opens the store on the configured engine and migrates it. SQLite is the
// embedded default: one file under the data directory, in WAL mode so the
// webhook server and a worker process can share it.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import type { Redactor } from "../observability/redact.ts";
import { migrateToLatest } from "./migrate.ts";
import type { Database } from "./schema.ts";
import { Store } from "./store.ts";

export interface OpenStoreOptions {
  /** Path of the SQLite file, or ":memory:". */
  sqlitePath: string;
  redactor: Redactor;
  clock?: () => Date;
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.sqlitePath !== ":memory:")
    mkdirSync(dirname(options.sqlitePath), { recursive: true });
  const sqlite = new SQLite(options.sqlitePath);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("busy_timeout = 5000");
  // WAL with NORMAL sync survives a crash of the process (not of the OS) without an fsync per commit.
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrateToLatest(db as unknown as Kysely<unknown>);
  return new Store({ db, redactor: options.redactor, clock: options.clock });
}
