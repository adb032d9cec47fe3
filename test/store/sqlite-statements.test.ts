// SQLite statements prepared once (src/store/sqlite-statements.ts): the same
// SQL gets the same statement, a statement still running (a streamed read) is
// never handed out again, and Kysely's queries run on it as before.
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { describe, expect, it } from "vitest";
import { preparedOnce } from "../../src/store/sqlite-statements.ts";

describe("preparedOnce", () => {
  it("prepares each SQL text once, and a fresh statement while one is still reading", () => {
    const db = preparedOnce(new SQLite(":memory:"));
    db.prepare("create table t (n integer)").run([]);
    const insert = db.prepare("insert into t (n) values (?)");
    for (let n = 0; n < 3; n++) db.prepare("insert into t (n) values (?)").run([n]);
    expect(db.prepare("insert into t (n) values (?)")).toBe(insert);
    const read = db.prepare("select n from t order by n");
    const seen: unknown[] = [];
    for (const row of read.iterate([])) {
      // The same query again while the first one is mid-read.
      const again = db.prepare("select n from t order by n");
      expect(again).not.toBe(read);
      seen.push([row, again.all([]).length]);
    }
    expect(seen).toEqual([
      [{ n: 0 }, 3],
      [{ n: 1 }, 3],
      [{ n: 2 }, 3],
    ]);
    db.close();
  });

  it("serves Kysely's queries, streamed ones included", async () => {
    interface Db {
      t: { n: number };
    }
    const k = new Kysely<Db>({
      dialect: new SqliteDialect({ database: preparedOnce(new SQLite(":memory:")) }),
    });
    await k.schema.createTable("t").addColumn("n", "integer").execute();
    for (let n = 0; n < 5; n++) await k.insertInto("t").values({ n }).execute();
    const query = () => k.selectFrom("t").select("n").orderBy("n");
    const streamed: number[] = [];
    for await (const row of query().stream()) streamed.push(row.n);
    expect(streamed).toEqual([0, 1, 2, 3, 4]);
    expect((await query().execute()).map((r) => r.n)).toEqual([0, 1, 2, 3, 4]);
    expect((await query().execute()).length).toBe(5);
    await k.destroy();
  });
});
