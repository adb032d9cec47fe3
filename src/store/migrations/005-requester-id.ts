// The GitHub account id of the person who asked for a run, for the
// `Co-authored-by` trailer (`id+login@users.noreply.github.com` credits the
// account even after it is renamed). Null for runs queued before this.
import type { Kysely, Migration } from "kysely";

export const requesterId: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("runs").addColumn("requested_by_id", "bigint").execute();
  },
};
