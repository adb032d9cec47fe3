// The store contract on the real PostgreSQL at 127.0.0.1:5432: a database of
// this file's own, emptied between tests and dropped afterwards.
import pg from "pg";
import { afterAll } from "vitest";
import { openStore } from "../../src/store/open.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { storeContract, type StoreFactory } from "./store-contract.ts";

let database: TestDatabase | undefined;
let migrated = false;

afterAll(async () => {
  await database?.drop();
});

const factory: StoreFactory = {
  concurrentConnections: true,
  create: async () => {
    database ??= await createTestDatabase("store");
    if (migrated) await truncateAll(database.url);
  },
  open: async ({ clock, redactor }) => {
    const store = await openStore({
      database: { engine: "postgres", url: database!.url },
      clock,
      redactor,
    });
    migrated = true;
    return store;
  },
  destroy: () => Promise.resolve(),
};
storeContract("PostgreSQL", factory);

async function truncateAll(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      "TRUNCATE runs, deliveries, audit_events, run_transcript, run_checkpoints, run_triggers, installations, installation_repositories, repository_memory, run_rollbacks, redelivery_requests, spend_ledger, spend_runs",
    );
  } finally {
    await client.end();
  }
}
