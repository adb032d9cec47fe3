// A PostgreSQL database of its own for one test file, on the server at
// 127.0.0.1:5432 that other suites and helpers share: created with a unique
// name, dropped afterwards (connections and all).
import { randomBytes } from "node:crypto";
import pg from "pg";

/** The server's `test` database, which every test connects to first. */
const POSTGRES_ADMIN_URL =
  process.env.STAMINA_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  /** Connection string of the new database. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `stamina_${label.replace(/\W/g, "_")}_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
