// `/stamina rollback`: each request is a run of kind "rollback" (queued,
// leased and claimed like any run, so one issue still has one active run) and
// a row here with what it rolls back: the run whose branch it is, the
// checkpoint's commit, how the person named it, and where they asked.
import type { Kysely, Migration } from "kysely";

export const rollbacks: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("run_rollbacks")
      .addColumn("run_id", "text", (c) => c.primaryKey())
      .addColumn("target_run_id", "text", (c) => c.notNull())
      .addColumn("branch", "text", (c) => c.notNull())
      .addColumn("to_sha", "text", (c) => c.notNull())
      .addColumn("checkpoint", "integer", (c) => c.notNull())
      .addColumn("asked_on", "integer", (c) => c.notNull())
      .addColumn("requested_by", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("runs_by_branch")
      .on("runs")
      .columns(["owner", "repo", "branch"])
      .execute();
  },
};
