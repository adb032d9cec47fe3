// Durable runs: the step checkpoint (an append-only transcript and the latest
// state, base commit and working diff), the queue's retry and cancellation
// columns, follow-ups that wait for a pull request's active run, and the
// installations whose lifecycle decides which runs may go on.
import type { Kysely, Migration } from "kysely";

export const durableRuns: Migration = {
  async up(db: Kysely<unknown>) {
    const runColumns: Array<[string, "text" | "integer", boolean]> = [
      // "issue" or "follow_up" (a later trigger on a pull request).
      ["kind", "text", true],
      // The pull request the run works on, while the run is active: one active run per pull request.
      ["pull_key", "text", false],
      // A follow-up waiting for the active run of this key; promoted to active_key when it ends.
      ["pending_key", "text", false],
      ["not_before", "text", false],
      ["retries", "integer", true],
      ["cancel_requested_at", "text", false],
      ["cancel_requested_by", "text", false],
      ["cancel_reason", "text", false],
      // The agent's result once its loop ended (JSON), so a resumed run does not start it again.
      ["agent_result", "text", false],
    ];
    for (const [name, type, required] of runColumns) {
      await db.schema
        .alterTable("runs")
        .addColumn(name, type, (c) => {
          if (!required) return c;
          return c.notNull().defaultTo(type === "integer" ? 0 : "issue");
        })
        .execute();
    }
    await db.schema
      .createIndex("runs_one_per_pull")
      .unique()
      .on("runs")
      .column("pull_key")
      .execute();
    await db.schema
      .createIndex("runs_one_pending")
      .unique()
      .on("runs")
      .column("pending_key")
      .execute();
    await db.schema
      .createIndex("runs_by_installation")
      .on("runs")
      .columns(["installation_id", "state"])
      .execute();

    // The transcript: each step's added messages, appended, never rewritten.
    await db.schema
      .createTable("run_transcript")
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("idx", "integer", (c) => c.notNull())
      .addColumn("step", "integer", (c) => c.notNull())
      .addColumn("message", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("run_transcript_pk", ["run_id", "idx"])
      .execute();
    // The latest checkpoint of a run: written in the same transaction as its transcript rows.
    await db.schema
      .createTable("run_checkpoints")
      .addColumn("run_id", "text", (c) => c.primaryKey())
      .addColumn("step", "integer", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("base_sha", "text", (c) => c.notNull())
      // `git diff --binary` against base_sha, gzipped and base64-encoded (text on every engine).
      .addColumn("diff", "text", (c) => c.notNull())
      .addColumn("diff_bytes", "integer", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    // What triggered a run, in order: the first trigger, then any batched into a follow-up.
    await db.schema
      .createTable("run_triggers")
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("delivery_id", "text", (c) => c.notNull())
      .addColumn("requested_by", "text", (c) => c.notNull())
      .addColumn("data", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("run_triggers_pk", ["run_id", "delivery_id"])
      .execute();

    await db.schema
      .createTable("installations")
      .addColumn("id", "bigint", (c) => c.primaryKey())
      .addColumn("account", "text", (c) => c.notNull())
      .addColumn("suspended_at", "text")
      .addColumn("suspended_by", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("installation_repositories")
      .addColumn("installation_id", "bigint", (c) => c.notNull())
      .addColumn("full_name", "text", (c) => c.notNull())
      .addColumn("added_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("installation_repositories_pk", ["installation_id", "full_name"])
      .execute();
    await db.schema
      .createIndex("deliveries_by_installation")
      .on("deliveries")
      .column("installation_id")
      .execute();
  },
};
