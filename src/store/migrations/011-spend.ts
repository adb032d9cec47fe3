// What installations spend on the model, so the operator's limits (per run, per installation per
// day and per month) hold across workers: the ledger of dollars charged per installation and UTC
// day, and each run's running total with what it has reserved for the step it is taking.
// Amounts are integer micro-dollars, so sums are exact on both engines.
import type { Kysely, Migration } from "kysely";

export const spend: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("spend_ledger")
      .addColumn("installation_id", "bigint", (c) => c.notNull())
      .addColumn("day", "text", (c) => c.notNull())
      .addColumn("micro_dollars", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("spend_ledger_pk", ["installation_id", "day"])
      .execute();
    await db.schema
      .createTable("spend_runs")
      .addColumn("run_id", "text", (c) => c.primaryKey())
      .addColumn("installation_id", "bigint", (c) => c.notNull())
      // The run's spend as its last checkpoint counted it (a retry's includes the runs before it).
      .addColumn("charged_micro", "bigint", (c) => c.notNull())
      // Held for the step under way against the installation's limits, until its checkpoint.
      .addColumn("reserved_micro", "bigint", (c) => c.notNull())
      .addColumn("reserved_at", "text")
      .execute();
    await db.schema
      .createIndex("spend_runs_by_installation")
      .on("spend_runs")
      .column("installation_id")
      .execute();
  },
};
