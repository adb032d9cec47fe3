// better-sqlite3 as Kysely's SQLite dialect takes it, with each statement
// prepared once. Kysely prepares every query it runs afresh, and SQLite's
// compiler is most of what a small query costs: an audit event appended each
// turn of the agent paid it four times. The statements are kept by their SQL
// (Kysely's are parameterised, so a query's shape is one entry), a bounded
// number of them, and one still running (a streamed read) is never handed out
// twice.
import type SQLite from "better-sqlite3";
import type { SqliteDatabase, SqliteStatement } from "kysely";

/** Statements kept at most; past it the cache starts again (a query built with IN lists, say). */
const MAX_STATEMENTS = 512;

export function preparedOnce(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      statements.clear();
      sqlite.close();
    },
    prepare(sql: string): SqliteStatement {
      const known = statements.get(sql);
      if (known !== undefined && !known.busy) return known;
      const statement = sqlite.prepare(sql);
      if (statements.size >= MAX_STATEMENTS) statements.clear();
      statements.set(sql, statement);
      return statement;
    },
  };
}
