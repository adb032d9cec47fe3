// What a run shows on GitHub besides its comment and pull request, kept so a
// resumed run edits rather than duplicates: the "Stamina" check run (its id
// and the commit it is on) and the "Stamina audit log" check runs (JSON: the
// commit and the ids, part by part).
import type { Kysely, Migration } from "kysely";

export const githubSurface: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("runs").addColumn("check_run_id", "bigint").execute();
    await db.schema.alterTable("runs").addColumn("check_run_sha", "text").execute();
    await db.schema.alterTable("runs").addColumn("audit_check_runs", "text").execute();
  },
};
