// Brings a database up to the current schema. Migrations are listed here in
// order (no directory scanning), so a bundled or compiled app finds them all.
import { DEFAULT_MIGRATION_TABLE, Migrator, sql, type Kysely, type Migration } from "kysely";
import { initial } from "./migrations/001-initial.ts";
import { durableRuns } from "./migrations/002-durable-runs.ts";
import { memory } from "./migrations/003-memory.ts";
import { githubSurface } from "./migrations/004-github-surface.ts";
import { requesterId } from "./migrations/005-requester-id.ts";
import { dryRunsAndRetries } from "./migrations/006-dry-runs-and-retries.ts";
import { rollbacks } from "./migrations/008-rollbacks.ts";
import { auditChain } from "./migrations/009-audit-chain.ts";
import { freshInput } from "./migrations/010-fresh-input.ts";
import { spend } from "./migrations/011-spend.ts";

/** Every migration by name; the names sort in the order they were written. */
export const migrations: Record<string, Migration> = {
  "001-initial": initial,
  "002-durable-runs": durableRuns,
  "003-memory": memory,
  "004-github-surface": githubSurface,
  "005-requester-id": requesterId,
  "006-dry-runs-and-retries": dryRunsAndRetries,
  "008-rollbacks": rollbacks,
  "009-audit-chain": auditChain,
  "010-fresh-input": freshInput,
  "011-spend": spend,
};

function migratorOf(db: Kysely<unknown>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    // Numbers are reserved by work landing in parallel: a database already at 004 still gets 003.
    allowUnorderedMigrations: true,
  });
}

export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  const migrator = migratorOf(db);
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error !== undefined || failed) {
    const name = failed?.migrationName ?? "unknown";
    throw new Error(`Database migration ${name} failed: ${describe(error)}`, { cause: error });
  }
}

/** The migrations this database has not had yet, read without changing anything. */
export async function pendingMigrations(db: Kysely<unknown>): Promise<string[]> {
  const all = await migratorOf(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/**
 * Where the database stands against this code's migrations: the ones it has not had, and the
 * ones it has that this code does not know (a newer Stamina migrated it: a rolling upgrade
 * half done).
 */
export async function migrationGap(
  db: Kysely<unknown>,
): Promise<{ pending: string[]; unknown: string[] }> {
  const all = await migratorOf(db).getMigrations();
  const { rows } = await sql<{
    name: string;
  }>`select name from ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(db);
  return {
    pending: all.filter((m) => m.executedAt === undefined).map((m) => m.name),
    unknown: rows.map((r) => r.name).filter((name) => !(name in migrations)),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
