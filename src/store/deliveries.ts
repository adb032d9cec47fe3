// Webhook deliveries as the store keeps them: each one persisted before the
// webhook is answered, so a redelivery (the same id) is seen as a duplicate
// and a delivery acknowledged but never handled (the process died) is found
// again at start.
import type { StoreContext } from "./database.ts";
import type { Delivery } from "./types.ts";

export class DeliveryRecords {
  constructor(private readonly ctx: StoreContext) {}

  /** Persists a webhook delivery; "duplicate" when its id was seen before. */
  async record(delivery: Delivery): Promise<"new" | "duplicate"> {
    const result = await this.ctx.db
      .insertInto("deliveries")
      .values({
        id: delivery.id,
        event: delivery.event,
        action: delivery.action,
        installation_id: delivery.installationId,
        payload: delivery.payload,
        received_at: this.ctx.now(),
        handled_at: null,
        outcome: null,
      })
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1 ? "new" : "duplicate";
  }

  async markHandled(id: string, outcome: string): Promise<void> {
    await this.ctx.db
      .updateTable("deliveries")
      .set({ handled_at: this.ctx.now(), outcome })
      .where("id", "=", id)
      .execute();
  }

  /** The outcome of a handled delivery, null while unhandled, undefined when never received. */
  async outcome(id: string): Promise<string | null | undefined> {
    const row = await this.ctx.db
      .selectFrom("deliveries")
      .select(["handled_at", "outcome"])
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) return undefined;
    return row.handled_at === null ? null : (row.outcome ?? "");
  }

  /** Deliveries that were acknowledged but never handled (the process died in between). */
  async unhandled(limit = 100): Promise<Delivery[]> {
    const rows = await this.ctx.db
      .selectFrom("deliveries")
      .selectAll()
      .where("handled_at", "is", null)
      .orderBy("received_at")
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      event: r.event,
      action: r.action,
      installationId: r.installation_id === null ? null : Number(r.installation_id),
      payload: r.payload,
    }));
  }
}
