// Memory across runs: the files of each repository's `/memories`, one row a
// file, shared by that repository's runs. Folders are implied by the paths.
import type { Kysely, Migration } from "kysely";

export const memory: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("repository_memory")
      // `owner/name`, lower-cased: GitHub's names are case-insensitive.
      .addColumn("repository", "text", (c) => c.notNull())
      .addColumn("path", "text", (c) => c.notNull())
      .addColumn("content", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      // The run whose edit wrote it last, for an admin reading `stamina memory show`.
      .addColumn("updated_by", "text")
      .addPrimaryKeyConstraint("repository_memory_pk", ["repository", "path"])
      .execute();
  },
};
