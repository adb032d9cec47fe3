// The store contract, requests to stop a run: at once when no worker started it, flagged for the
// worker that holds or next claims one with work to keep.
import { describe, expect, it } from "vitest";
import { LEASE, storeWorld, type StoreFactory } from "./world.ts";

export function cancelsContract(engine: string, factory: StoreFactory): void {
  describe(`cancelling in the store on ${engine}`, () => {
    const w = storeWorld(factory);

    it("ends a run no worker started at once, and flags a held one for its worker", async () => {
      const queued = await w.created(w.newRun(1));
      const held = await w.created(w.newRun(2));
      await w.store.leases.claimNext("w", LEASE); // claims issue 1 first
      const r1 = await w.store.cancels.request(queued.id, "@a", "removed the label");
      // Issue 1 was claimed: its worker has to push the work so far.
      expect(r1.outcome).toBe("requested");
      expect((await w.store.cancels.requested("w")).map((r) => r.id)).toEqual([queued.id]);
      const r2 = await w.store.cancels.request(held.id, "@b", "/stamina stop");
      expect(r2).toMatchObject({ outcome: "cancelled", run: { state: "cancelled" } });
      expect((await w.store.runs.create(w.newRun(2))).created).toBe(true);
      const r3 = await w.store.cancels.request(held.id, "@b", "/stamina stop");
      expect(r3.outcome).toBe("finished");
    });

    it("ends at once, when asked to, any run no live worker holds", async () => {
      const paused = await w.created(w.newRun(1));
      const held = await w.created(w.newRun(2));
      await w.store.leases.claimNext("w", LEASE);
      await w.store.pauses.pause(paused.id, "w", "awaiting_reply");
      await w.store.leases.claimNext("w", LEASE);
      const stop = { unlessHeld: true };
      expect((await w.store.cancels.request(paused.id, "@a", "suspended", stop)).outcome).toBe(
        "cancelled",
      );
      expect((await w.store.cancels.request(held.id, "@a", "suspended", stop)).outcome).toBe(
        "requested",
      );
    });

    it("sends a paused run with work back to the queue for a worker to push and end", async () => {
      const run = await w.created(w.newRun());
      await w.store.leases.claimNext("w", LEASE);
      await w.store.pauses.pause(run.id, "w", "awaiting_approval");
      const result = await w.store.cancels.request(run.id, "@a", "/stamina stop");
      expect(result).toMatchObject({
        outcome: "requested",
        run: { state: "queued", cancelRequestedBy: "@a", cancelReason: "/stamina stop" },
      });
      expect((await w.store.leases.claimNext("w2", LEASE))?.id).toBe(run.id);
    });
  });
}
