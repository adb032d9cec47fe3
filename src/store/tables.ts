// The tables a store holds, read from the database's own catalogue rather than listed by hand:
// what `stamina db copy` copies and checks, so a table a new migration adds is copied without
// anyone remembering to list it. Kysely's record of the migrations run is left out (each
// database keeps its own, written by its own migrations), as are the engine's own tables.
import { sql, type Kysely } from "kysely";
import type { Engine } from "./database.ts";
import type { Database } from "./schema.ts";

export interface StoredTable {
  name: string;
  /** Every column, in the table's order. */
  columns: string[];
  /** The primary key's columns, in the key's order; empty when the table has none. */
  primaryKey: string[];
  /** It has a PostgreSQL identity column `GENERATED ALWAYS`: an insert with its value must say so. */
  generatedAlways: boolean;
}

const MIGRATION_TABLES = new Set(["kysely_migration", "kysely_migration_lock"]);

/** The store's tables, in the order they were created (a table before those that refer to it). */
export async function storedTables(db: Kysely<Database>, engine: Engine): Promise<StoredTable[]> {
  const names = engine === "sqlite" ? await sqliteTables(db) : await postgresTables(db);
  const tables: StoredTable[] = [];
  for (const name of names.filter((n) => !MIGRATION_TABLES.has(n))) {
    tables.push(engine === "sqlite" ? await sqliteTable(db, name) : await postgresTable(db, name));
  }
  return tables;
}

/** How many rows a table holds. */
export async function countRows(db: Kysely<Database>, table: string): Promise<number> {
  const { rows } = await sql<{
    n: number | string;
  }>`select count(*) as n from ${sql.id(table)}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

async function sqliteTables(db: Kysely<Database>): Promise<string[]> {
  // sqlite_master lists tables in the order they were created; `sqlite_%` are SQLite's own.
  const { rows } = await sql<{ name: string }>`
    select name from sqlite_master
    where type = 'table' and name not like 'sqlite\\_%' escape '\\'
    order by rowid`.execute(db);
  return rows.map((r) => r.name);
}

async function sqliteTable(db: Kysely<Database>, name: string): Promise<StoredTable> {
  const { rows } = await sql<{ name: string; pk: number }>`
    select name, pk from pragma_table_info(${name}) order by cid`.execute(db);
  const primaryKey = rows
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
  return { name, columns: rows.map((c) => c.name), primaryKey, generatedAlways: false };
}

async function postgresTables(db: Kysely<Database>): Promise<string[]> {
  // Ordered by oid: the order they were created in, short of the counter wrapping around.
  const { rows } = await sql<{ name: string }>`
    select c.relname as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind in ('r', 'p') and not c.relispartition
    order by c.oid`.execute(db);
  return rows.map((r) => r.name);
}

async function postgresTable(db: Kysely<Database>, name: string): Promise<StoredTable> {
  const columns = await sql<{ name: string; generation: string | null }>`
    select column_name as name, identity_generation as generation
    from information_schema.columns
    where table_schema = current_schema() and table_name = ${name}
    order by ordinal_position`.execute(db);
  const key = await sql<{ name: string }>`
    select a.attname as name
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_index i on i.indrelid = c.oid and i.indisprimary
    cross join lateral unnest(i.indkey::int2[]) with ordinality as k(attnum, position)
    join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
    where n.nspname = current_schema() and c.relname = ${name}
    order by k.position`.execute(db);
  return {
    name,
    columns: columns.rows.map((c) => c.name),
    primaryKey: key.rows.map((k) => k.name),
    generatedAlways: columns.rows.some((c) => c.generation === "ALWAYS"),
  };
}
