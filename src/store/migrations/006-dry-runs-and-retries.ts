// Two facts about a run fixed when it is queued: whether it is a dry run (it
// pushes nothing and ends with one comment holding the plan and the diff), and
// which earlier run it continues (`/stamina retry`: the same branch and pull
// request, from that run's last checkpoint). Runs queued before this are
// neither: 0 and null.
import type { Kysely, Migration } from "kysely";

export const dryRunsAndRetries: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("runs")
      .addColumn("dry_run", "integer", (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable("runs").addColumn("continues_run", "text").execute();
  },
};
