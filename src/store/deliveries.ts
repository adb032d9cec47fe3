// Webhook deliveries as the store keeps them: each one persisted before the
// webhook is answered, so a redelivery (the same id) is seen as a duplicate
// and a delivery acknowledged but never handled (the process died) is found
// again at start. A delivery also carries what it is about (its input key,
// unique): the same signed body posted under a new delivery id is a replay,
// kept as a record that acts on nothing. Deliveries refused for load are
// noted, so Stamina can ask GitHub to send them again once it has room.
//
// Deliveries that arrive together are written together: while one insert is
// on its way, the next ones wait and go in one statement (one commit, one
// flush of the database's log), each answered once it is durable.
import { writeTransaction, type StoreContext } from "./database.ts";
import type { Delivery } from "./types.ts";

/** How a delivery was taken in: new, its id seen before, or its input acted on already. */
export type Recorded = "new" | "duplicate" | { replayOf: string };

/** The most deliveries one insert writes. */
const MAX_BATCH = 100;

interface Waiting {
  delivery: Delivery;
  resolve: (recorded: Recorded) => void;
  reject: (error: unknown) => void;
}

export class DeliveryRecords {
  private waiting: Waiting[] = [];
  private writing = false;

  constructor(private readonly ctx: StoreContext) {}

  /**
   * Persists a webhook delivery; "duplicate" when its id was seen before, `replayOf` (the first
   * delivery's id) when another delivery carried its input key: the replay is kept, handled, with
   * an outcome that says so, and acts on nothing.
   */
  record(delivery: Delivery): Promise<Recorded> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ delivery, resolve, reject });
      // Those that arrive in the same turn of the event loop go in the same insert.
      if (!this.writing) {
        this.writing = true;
        setImmediate(() => void this.writeWaiting());
      }
    });
  }

  /** Inserts what waits, a batch at a time, until nothing does. */
  private async writeWaiting(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      let inserted: Set<string>;
      try {
        inserted = await this.insert(
          batch.map(({ delivery }) => ({ delivery, inputKey: delivery.inputKey ?? null })),
        );
      } catch (error) {
        for (const w of batch) w.reject(error);
        continue;
      }
      for (const w of batch) {
        // An id twice in one batch: the first one is the new delivery.
        const isNew = inserted.delete(w.delivery.id);
        if (isNew) w.resolve("new");
        else this.notInserted(w.delivery).then(w.resolve, w.reject);
      }
    }
    this.writing = false;
  }

  /** A delivery its insert left out: a duplicate, or a replay of the input's first delivery. */
  private async notInserted(delivery: Delivery): Promise<Recorded> {
    if ((await this.outcome(delivery.id)) !== undefined) return "duplicate";
    const first = await this.ctx.db
      .selectFrom("deliveries")
      .select("id")
      .where("input_key", "=", delivery.inputKey ?? "")
      .executeTakeFirst();
    // Neither the id nor the key: another writer's row went between; taken as a duplicate.
    if (!first) return "duplicate";
    const outcome = `ignored: a replay of delivery ${first.id} (${delivery.inputKey}), which acted already`;
    await this.insert([{ delivery, inputKey: null, outcome }]);
    return { replayOf: first.id };
  }

  /** Persists a delivery that acts on nothing (stale, say), handled at once with `outcome`. */
  async recordIgnored(delivery: Delivery, outcome: string): Promise<"new" | "duplicate"> {
    const inserted = await this.insert([{ delivery, inputKey: null, outcome }]);
    return inserted.has(delivery.id) ? "new" : "duplicate";
  }

  /**
   * Inserts deliveries in one statement, each under `inputKey`, handled at once when it has an
   * `outcome`; returns the ids inserted (those left out met an id or an input key already there).
   */
  private async insert(
    rows: { delivery: Delivery; inputKey: string | null; outcome?: string }[],
  ): Promise<Set<string>> {
    const now = this.ctx.now();
    const inserted = await this.ctx.db
      .insertInto("deliveries")
      .values(
        rows.map(({ delivery, inputKey, outcome = null }) => ({
          id: delivery.id,
          event: delivery.event,
          action: delivery.action,
          installation_id: delivery.installationId,
          payload: delivery.payload,
          received_at: now,
          handled_at: outcome === null ? null : now,
          outcome,
          input_key: inputKey,
        })),
      )
      .onConflict((oc) => oc.doNothing())
      .returning("id")
      .execute();
    return new Set(inserted.map((r) => r.id));
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
      inputKey: r.input_key,
    }));
  }

  /**
   * Notes a delivery refused for load (its id as GitHub sent it), to be asked for again; false,
   * noting nothing, when `maxPending` notes already await redelivery (the id is unauthenticated:
   * a flood of forged ones must not grow the table without bound).
   */
  async refusedForLoad(guid: string, maxPending = Number.POSITIVE_INFINITY): Promise<boolean> {
    return writeTransaction(this.ctx, async (trx) => {
      const { pending } = await trx
        .selectFrom("redelivery_requests as r")
        .leftJoin("deliveries as d", "d.id", "r.guid")
        .select((eb) => eb.fn.countAll().as("pending"))
        .where("d.id", "is", null)
        .executeTakeFirstOrThrow();
      if (Number(pending) >= maxPending) return false;
      await trx
        .insertInto("redelivery_requests")
        .values({
          guid,
          hook_delivery_id: null,
          refused_at: this.ctx.now(),
          requested_at: null,
          attempts: 0,
        })
        .onConflict((oc) => oc.column("guid").doNothing())
        .execute();
      return true;
    });
  }

  /** A look for `guid` that asked GitHub for nothing (not listed yet, or the request failed). */
  async redeliveryTried(guid: string): Promise<void> {
    await this.ctx.db
      .updateTable("redelivery_requests")
      .set((eb) => ({ attempts: eb("attempts", "+", 1) }))
      .where("guid", "=", guid)
      .execute();
  }

  /** Forgets a note: GitHub does not list it (forged), delivered it since, or Stamina gave up. */
  async dropRedelivery(guid: string): Promise<void> {
    await this.ctx.db.deleteFrom("redelivery_requests").where("guid", "=", guid).execute();
  }

  /** Deliveries refused for load that Stamina has not received since, oldest first. */
  async awaitingRedelivery(
    limit = 100,
  ): Promise<
    Array<{ guid: string; refusedAt: string; requestedAt: string | null; attempts: number }>
  > {
    const rows = await this.ctx.db
      .selectFrom("redelivery_requests as r")
      .leftJoin("deliveries as d", "d.id", "r.guid")
      .select(["r.guid", "r.refused_at", "r.requested_at", "r.attempts"])
      .where("d.id", "is", null)
      .orderBy("r.refused_at")
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      guid: r.guid,
      refusedAt: r.refused_at,
      requestedAt: r.requested_at,
      attempts: Number(r.attempts),
    }));
  }

  /** Stamina asked GitHub to send `guid` again (its delivery `hookDeliveryId`). */
  async redeliveryRequested(guid: string, hookDeliveryId: string): Promise<void> {
    await this.ctx.db
      .updateTable("redelivery_requests")
      .set((eb) => ({
        hook_delivery_id: hookDeliveryId,
        requested_at: this.ctx.now(),
        attempts: eb("attempts", "+", 1),
      }))
      .where("guid", "=", guid)
      .execute();
  }

  /** Whether Stamina asked GitHub to send this delivery again: exempt from the freshness window. */
  async askedToResend(guid: string): Promise<boolean> {
    const row = await this.ctx.db
      .selectFrom("redelivery_requests")
      .select("requested_at")
      .where("guid", "=", guid)
      .executeTakeFirst();
    return row?.requested_at !== undefined && row.requested_at !== null;
  }
}
