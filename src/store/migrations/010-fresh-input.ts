// Input that acts once: a delivery carries the key of what it is about (a
// comment's id, a review's id), unique across deliveries, so the same signed
// body posted again under a new delivery id is seen as the replay it is. And
// the deliveries Stamina asked GitHub to send again (refused for load), which
// are exempt from the freshness window when they come back.
import type { Kysely, Migration } from "kysely";

export const freshInput: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("deliveries").addColumn("input_key", "text").execute();
    await db.schema
      .createIndex("deliveries_by_input")
      .unique()
      .on("deliveries")
      .column("input_key")
      .execute();
    await db.schema
      .createTable("redelivery_requests")
      .addColumn("guid", "text", (c) => c.primaryKey())
      .addColumn("hook_delivery_id", "text")
      .addColumn("refused_at", "text", (c) => c.notNull())
      .addColumn("requested_at", "text")
      .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
