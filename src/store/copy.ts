// `stamina db copy`: every table of one store into another, empty one (SQLite to PostgreSQL,
// mostly), in one transaction on the target, so a copy that fails half-way leaves the target as
// empty as it was. Rows are read from one snapshot of the source, in key order, a batch at a
// time, and keep their ids; PostgreSQL's sequences are then moved past the ids copied, so the
// next row inserted gets a fresh one.
import { sql, type Kysely } from "kysely";
import { writeTransaction, type Engine, type OpenedDatabase } from "./database.ts";
import type { Database } from "./schema.ts";
import { countRows, storedTables, type StoredTable } from "./tables.ts";

/** The copy cannot go ahead; the message says why and what to do. */
export class CopyRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CopyRefused";
  }
}

export interface TableRows {
  table: string;
  rows: number;
}

export interface CopyOptions {
  /** Rows the first batch of each table reads; later batches shrink for large rows and grow for small ones. */
  batchRows?: number;
  /** Told as each table is copied (inside the transaction: nothing is committed yet). */
  onTable?: (copied: TableRows) => void;
}

/** Below both engines' limits on the values of one statement (SQLite 32,766; PostgreSQL 65,535). */
const MAX_VALUES = 30_000;
/** About this much text a batch, so a table of large rows (checkpoints' diffs) stays in memory. */
const BATCH_CHARS = 16 * 1024 * 1024;

/** The tables of a database that hold rows, with how many: a copy goes only into an empty one. */
export async function tablesWithRows(db: Kysely<Database>, engine: Engine): Promise<TableRows[]> {
  const found: TableRows[] = [];
  for (const { name } of await storedTables(db, engine)) {
    const rows = await countRows(db, name);
    if (rows > 0) found.push({ table: name, rows });
  }
  return found;
}

/**
 * Copies every table of `source` into `target`, which has the same migrations and no rows;
 * returns the rows copied per table, in the order they were copied.
 */
export async function copyStore(
  source: OpenedDatabase,
  target: OpenedDatabase,
  options: CopyOptions = {},
): Promise<TableRows[]> {
  const tables = await storedTables(source.db, source.engine);
  const targetTables = new Map(
    (await storedTables(target.db, target.engine)).map((t) => [t.name, t]),
  );
  for (const table of tables) {
    const into = targetTables.get(table.name);
    const missing =
      into === undefined ? [] : table.columns.filter((c) => !into.columns.includes(c));
    if (into === undefined || missing.length > 0) {
      const what = into === undefined ? `table ${table.name}` : `${table.name}.${missing[0]}`;
      throw new CopyRefused(
        `${what} is in the source but not in the target after its migrations: the source was written by another version of Stamina, or by hand. Copy with the version that wrote it.`,
      );
    }
  }
  return writeTransaction(target, async (trx) => {
    // Tables go in the order they were created, a table before those that refer to it; where
    // the engine lets them, the constraints wait for the commit too.
    if (target.engine === "sqlite") await sql`pragma defer_foreign_keys = on`.execute(trx);
    else await sql`set constraints all deferred`.execute(trx);
    const copied: TableRows[] = [];
    await readSnapshot(source, async (src) => {
      for (const table of tables) {
        const into = targetTables.get(table.name)!;
        const rows = await copyTable(src, trx, table, into, target.engine, options.batchRows).catch(
          (error: unknown) => {
            const why = error instanceof Error ? error.message : String(error);
            throw new Error(`table ${table.name}: ${why}`, { cause: error });
          },
        );
        copied.push({ table: table.name, rows });
        options.onTable?.({ table: table.name, rows });
      }
    });
    if (target.engine === "postgres") await moveSequences(trx);
    return copied;
  });
}

/** Runs `fn` on one snapshot of the source: rows written meanwhile are not half seen. */
async function readSnapshot(
  source: OpenedDatabase,
  fn: (db: Kysely<Database>) => Promise<void>,
): Promise<void> {
  let transaction = source.db.transaction();
  if (source.engine === "postgres") {
    transaction = transaction.setIsolationLevel("repeatable read").setAccessMode("read only");
  }
  await transaction.execute(fn);
}

async function copyTable(
  src: Kysely<Database>,
  dst: Kysely<Database>,
  table: StoredTable,
  into: StoredTable,
  engine: Engine,
  firstBatch = 500,
): Promise<number> {
  const most = Math.max(1, Math.floor(MAX_VALUES / table.columns.length));
  let limit = Math.min(firstBatch, most);
  let after: unknown[] | undefined;
  let copied = 0;
  for (;;) {
    const rows = await readBatch(src, table, limit, after, copied);
    if (rows.length > 0) await insertBatch(dst, table, into, rows, engine);
    copied += rows.length;
    if (rows.length < limit) return copied;
    const last = rows[rows.length - 1]!;
    after = table.primaryKey.map((c) => last[c]);
    const chars = rows.reduce((n, row) => n + rowChars(row), 0);
    if (chars > BATCH_CHARS) limit = Math.max(1, Math.floor(limit / 2));
    else if (chars < BATCH_CHARS / 4) limit = Math.min(most, limit * 2);
  }
}

/** The next rows after `after` in key order (a table without a key: in column order, by offset). */
async function readBatch(
  db: Kysely<Database>,
  table: StoredTable,
  limit: number,
  after: unknown[] | undefined,
  offset: number,
): Promise<Array<Record<string, unknown>>> {
  const key = table.primaryKey;
  const ids = (columns: string[]) => sql.join(columns.map((c) => sql.id(c)));
  const from = sql`select * from ${sql.id(table.name)}`;
  if (key.length === 0) {
    const query = sql<
      Record<string, unknown>
    >`${from} order by ${ids(table.columns)} limit ${limit} offset ${offset}`;
    return (await query.execute(db)).rows;
  }
  const where = after === undefined ? sql`` : sql` where (${ids(key)}) > (${sql.join(after)})`;
  const query = sql<Record<string, unknown>>`${from}${where} order by ${ids(key)} limit ${limit}`;
  return (await query.execute(db)).rows;
}

async function insertBatch(
  db: Kysely<Database>,
  table: StoredTable,
  into: StoredTable,
  rows: Array<Record<string, unknown>>,
  engine: Engine,
): Promise<void> {
  const columns = sql.join(table.columns.map((c) => sql.id(c)));
  // The ids are the source's: an identity column the database always fills takes them when told.
  const overriding = into.generatedAlways ? sql` overriding system value` : sql``;
  const values = rows.map(
    (row) => sql`(${sql.join(table.columns.map((c) => bindable(row[c], engine)))})`,
  );
  await sql`insert into ${sql.id(table.name)} (${columns})${overriding} values ${sql.join(values)}`.execute(
    db,
  );
}

/** A value as the target's driver binds it: SQLite takes numbers, text, bigints, bytes and null. */
function bindable(value: unknown, engine: Engine): unknown {
  if (engine === "postgres" || value === null || Buffer.isBuffer(value)) return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "object") return JSON.stringify(value);
  return value;
}

function rowChars(row: Record<string, unknown>): number {
  let n = 0;
  for (const value of Object.values(row)) {
    if (typeof value === "string") n += value.length;
    else if (Buffer.isBuffer(value)) n += value.length;
    else n += 8;
  }
  return n;
}

/** Moves every sequence of the target's schema (serial and identity columns) past the ids copied. */
async function moveSequences(db: Kysely<Database>): Promise<void> {
  const { rows } = await sql<{ table: string; column: string; sequence: string | null }>`
    select table_name as "table", column_name as "column",
      pg_get_serial_sequence(quote_ident(table_schema) || '.' || quote_ident(table_name), column_name) as "sequence"
    from information_schema.columns
    where table_schema = current_schema()
      and (is_identity = 'YES' or column_default like 'nextval(%')`.execute(db);
  for (const { table, column, sequence } of rows) {
    if (sequence === null) continue;
    const highest = sql`(select max(${sql.id(column)}) from ${sql.id(table)})`;
    await sql`select setval(${sequence}, coalesce(${highest}, 0) + 1, false)`.execute(db);
  }
}
