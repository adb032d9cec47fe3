// Migrations land from work done in parallel, each with the number it reserved: a database
// already migrated past a number (004) still gets the migration that took it (003).
import SQLite from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { migrateToLatest, migrations } from "../../src/store/migrate.ts";
import { initial } from "../../src/store/migrations/001-initial.ts";
import { durableRuns } from "../../src/store/migrations/002-durable-runs.ts";
import { githubSurface } from "../../src/store/migrations/004-github-surface.ts";

describe("migrations", () => {
  it("bring a database that skipped 003 up to date, keeping what it holds", async () => {
    const db = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: new SQLite(":memory:") }),
    });
    try {
      // The database as main left it before the memory landed: 001, 002 and 004.
      const before = {
        "001-initial": initial,
        "002-durable-runs": durableRuns,
        "004-github-surface": githubSurface,
      };
      const early = await new Migrator({
        db,
        provider: { getMigrations: () => Promise.resolve(before) },
      }).migrateToLatest();
      expect(early.error).toBeUndefined();
      await sql`insert into installations (id, account, created_at, updated_at) values (1, 'octo', 'x', 'x')`.execute(
        db,
      );

      await migrateToLatest(db);
      const tables = await sql<{
        name: string;
      }>`select name from sqlite_master where type = 'table'`.execute(db);
      expect(tables.rows.map((r) => r.name)).toContain("repository_memory");
      const names = await sql<{
        name: string;
      }>`select name from kysely_migration order by name`.execute(db);
      expect(names.rows.map((r) => r.name)).toEqual(Object.keys(migrations).sort());
      const kept = await sql<{ account: string }>`select account from installations`.execute(db);
      expect(kept.rows).toEqual([{ account: "octo" }]);
      // Run again, nothing is left to do.
      await migrateToLatest(db);
    } finally {
      await db.destroy();
    }
  });
});
