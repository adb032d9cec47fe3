// The first schema: deliveries (webhook dedupe and durable ingress), runs, and
// the audit events of each run. Written with Kysely's schema builder so the
// same migration runs on SQLite and PostgreSQL.
import type { Kysely, Migration } from "kysely";
import { sql } from "kysely";

export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("deliveries")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("event", "text", (c) => c.notNull())
      .addColumn("action", "text")
      .addColumn("installation_id", "bigint")
      .addColumn("payload", "text", (c) => c.notNull())
      .addColumn("received_at", "text", (c) => c.notNull())
      .addColumn("handled_at", "text")
      .addColumn("outcome", "text")
      .execute();
    await db.schema
      .createIndex("deliveries_unhandled")
      .on("deliveries")
      .column("received_at")
      .where(sql.ref("handled_at"), "is", null)
      .execute();

    await db.schema
      .createTable("runs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("installation_id", "bigint", (c) => c.notNull())
      .addColumn("owner", "text", (c) => c.notNull())
      .addColumn("repo", "text", (c) => c.notNull())
      .addColumn("issue_number", "integer", (c) => c.notNull())
      .addColumn("issue_title", "text", (c) => c.notNull())
      .addColumn("issue_body", "text", (c) => c.notNull())
      .addColumn("requested_by", "text", (c) => c.notNull())
      .addColumn("delivery_id", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("active_key", "text")
      .addColumn("config", "text", (c) => c.notNull())
      .addColumn("branch", "text")
      .addColumn("tracking_comment_id", "bigint")
      .addColumn("pull_number", "integer")
      .addColumn("pull_url", "text")
      .addColumn("base_sha", "text")
      .addColumn("head_sha", "text")
      .addColumn("steps_used", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("outcome", "text")
      .addColumn("lease_owner", "text")
      .addColumn("lease_expires_at", "text")
      .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addColumn("finished_at", "text")
      .execute();
    // One active run per issue: the key is set while active and cleared when the run ends.
    await db.schema
      .createIndex("runs_one_active")
      .unique()
      .on("runs")
      .column("active_key")
      .execute();
    await db.schema
      .createIndex("runs_by_state")
      .on("runs")
      .columns(["state", "created_at"])
      .execute();

    await db.schema
      .createTable("audit_events")
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("ts", "text", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("data", "text", (c) => c.notNull())
      .addColumn("prev_hash", "text", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("audit_events_pk", ["run_id", "seq"])
      .execute();
  },
};
