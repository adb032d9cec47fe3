// Whether the database answers and has every migration, read without changing anything (for
// `stamina doctor`), and a failure to open it in words that name DATABASE_URL, never its
// password.
import { existsSync } from "node:fs";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import type { DatabaseTarget } from "./database.ts";
import { migrationGap, pendingMigrations } from "./migrate.ts";

export type DatabaseProbe = { ok: true; detail: string } | { ok: false; message: string };

/** Where the data lives, as a log line may say it: the host, port and database, no password. */
export function databaseLocation(target: DatabaseTarget): string {
  if (target.engine === "sqlite") return `SQLite at ${target.path}`;
  try {
    const url = new URL(target.url);
    return `PostgreSQL at ${url.hostname || "localhost"}:${url.port || "5432"}${url.pathname}`;
  } catch {
    return "PostgreSQL (DATABASE_URL is not a URL)";
  }
}

/** One line for a database that could not be opened or migrated, naming the setting. */
export function databaseProblem(
  target: DatabaseTarget,
  error: unknown,
  /** Where the URL came from, when not from the settings (a command's option). */
  named?: string,
): string {
  const where = databaseLocation(target);
  const setting =
    named ?? (target.engine === "sqlite" ? "DATABASE_URL (or STAMINA_DATA_DIR)" : "DATABASE_URL");
  return `${setting}: ${where} could not be opened (${reason(error)}); start the database or correct ${setting}`;
}

export async function probeDatabase(target: DatabaseTarget): Promise<DatabaseProbe> {
  const where = databaseLocation(target);
  if (target.engine === "sqlite" && target.path !== ":memory:" && !existsSync(target.path)) {
    return { ok: true, detail: `${where} does not exist yet; the first start creates it` };
  }
  let db: Kysely<unknown>;
  try {
    db =
      target.engine === "sqlite"
        ? new Kysely({
            dialect: new SqliteDialect({
              database: new SQLite(target.path, { readonly: true, fileMustExist: true }),
            }),
          })
        : new Kysely({
            dialect: new PostgresDialect({
              pool: new pg.Pool({
                connectionString: target.url,
                max: 1,
                connectionTimeoutMillis: 10_000,
              }),
            }),
          });
  } catch (error) {
    return { ok: false, message: databaseProblem(target, error) };
  }
  try {
    await sql`select 1`.execute(db);
    const pending = await pendingMigrations(db);
    return {
      ok: true,
      detail:
        pending.length === 0
          ? `${where} answers and has every migration`
          : `${where} answers; ${pending.length} migration(s) will be applied at the next start (${pending.join(", ")})`,
    };
  } catch (error) {
    return { ok: false, message: databaseProblem(target, error) };
  } finally {
    await db.destroy().catch(() => undefined);
  }
}

/**
 * Whether the open store's database answers and has exactly this Stamina's migrations, for a
 * service's readiness: what passed, or the one sentence saying what is wrong and what to do.
 */
export async function databaseReadiness(
  db: Kysely<unknown>,
  target: DatabaseTarget,
): Promise<DatabaseProbe> {
  const where = databaseLocation(target);
  const setting =
    target.engine === "sqlite" ? "DATABASE_URL (or STAMINA_DATA_DIR)" : "DATABASE_URL";
  let gap: Awaited<ReturnType<typeof migrationGap>>;
  try {
    await sql`select 1`.execute(db);
    gap = await migrationGap(db);
  } catch (error) {
    return {
      ok: false,
      message: `${setting}: ${where} does not answer (${reason(error)}); start the database or correct ${setting}`,
    };
  }
  if (gap.unknown.length > 0) {
    return {
      ok: false,
      message: `${where} has migrations this version of Stamina does not know (${gap.unknown.join(", ")}): a newer Stamina migrated it; upgrade this process to that version`,
    };
  }
  if (gap.pending.length > 0) {
    return {
      ok: false,
      message: `${where} lacks ${gap.pending.length} migration(s) of this version (${gap.pending.join(", ")}); restart this process, which applies them as it starts`,
    };
  }
  return { ok: true, detail: `${where} answers and has every migration` };
}

/** The cause as a person reads it: a system error's code (ECONNREFUSED), else the deepest message. */
function reason(error: unknown): string {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 6; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
    const inner: unknown =
      e instanceof AggregateError ? e.errors[0] : (e as { cause?: unknown }).cause;
    if (!(inner instanceof Error)) return e.message || (typeof code === "string" ? code : e.name);
    e = inner;
  }
  return error instanceof Error ? error.message : String(error);
}
