// The store contract, one active run per issue; claims that never hand a run out twice; leases,
// heartbeats, caps, holds and retry times; no claim for a suspended installation.
import { describe, expect, it } from "vitest";
import { LEASE, storeWorld, type StoreFactory } from "./world.ts";

export function runsContract(engine: string, factory: StoreFactory): void {
  describe(`runs and leases in the store on ${engine}`, () => {
    const w = storeWorld(factory);

    it("keeps one active run per issue, and frees the slot when the run ends", async () => {
      const first = await w.created(w.newRun());
      const second = await w.store.runs.create(w.newRun());
      expect(second).toMatchObject({ created: false, active: { id: first.id } });
      expect((await w.store.runs.create(w.newRun(2))).created).toBe(true);
      await w.store.runs.finish(first.id, "succeeded", "done");
      expect((await w.store.runs.create(w.newRun())).created).toBe(true);
    });

    it("gives a queued run to one worker only", async () => {
      await w.created(w.newRun());
      const a = await w.store.leases.claimNext("worker-a", LEASE);
      const b = await w.store.leases.claimNext("worker-b", LEASE);
      expect(a).toMatchObject({ leaseOwner: "worker-a", state: "preparing", attempts: 1 });
      expect(b).toBeUndefined();
    });

    it("hands a run whose lease expired to another worker; the first loses its heartbeat", async () => {
      const run = await w.created(w.newRun());
      await w.store.leases.claimNext("worker-a", LEASE);
      await w.store.runs.update(run.id, { state: "running" });
      w.tick(30_000);
      expect(await w.store.leases.claimNext("worker-b", LEASE)).toBeUndefined();
      w.tick(31_000);
      const b = await w.store.leases.claimNext("worker-b", LEASE);
      expect(b).toMatchObject({ id: run.id, attempts: 2, state: "running" });
      expect(await w.store.leases.heartbeat(run.id, "worker-a", LEASE)).toBe(false);
      expect(await w.store.leases.heartbeat(run.id, "worker-b", LEASE)).toBe(true);
    });

    it("never hands one run to two of many workers claiming at once", async () => {
      for (let i = 1; i <= 12; i++) await w.created(w.newRun(i));
      const stores = w.factory.concurrentConnections
        ? [w.store, await w.open(), await w.open()]
        : [w.store];
      const claims = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          stores[i % stores.length]!.leases.claimNext(`worker-${i}`, LEASE),
        ),
      );
      const ids = claims.filter((c) => c !== undefined).map((c) => c.id);
      expect(ids).toHaveLength(12);
      expect(new Set(ids).size).toBe(12);
    });

    it("holds the global cap and the per-installation cap, counting only live leases", async () => {
      for (let i = 1; i <= 4; i++) await w.created(w.newRun(i, 1));
      for (let i = 11; i <= 12; i++) await w.created(w.newRun(i, 2));
      const limits = { global: 3, perInstallation: 2 };
      const a = await w.store.leases.claimNext("w", LEASE, limits);
      const b = await w.store.leases.claimNext("w", LEASE, limits);
      const c = await w.store.leases.claimNext("w", LEASE, limits);
      expect([a?.installationId, b?.installationId, c?.installationId]).toEqual([1, 2, 1]);
      expect(await w.store.leases.claimNext("w", LEASE, limits)).toBeUndefined();
      await w.store.runs.finish(b!.id, "succeeded", "done");
      // Installation 1 is full; installation 2's next run starts.
      expect((await w.store.leases.claimNext("w", LEASE, limits))?.installationId).toBe(2);
      // A dead worker's expired lease no longer takes a slot: its run is claimed again.
      w.tick(LEASE + 1);
      const again = await w.store.leases.claimNext("w2", LEASE, limits);
      expect(again?.id).toBe(a!.id);
    });

    it("claims first from the installation holding the fewest runs, then the oldest", async () => {
      // Installation 1's burst came first; 2 and 3 asked later and still get their turns.
      for (let i = 1; i <= 5; i++) await w.created(w.newRun(i, 1));
      for (let i = 11; i <= 12; i++) await w.created(w.newRun(i, 2));
      await w.created(w.newRun(21, 3));
      const limits = { global: 5, perInstallation: 3 };
      const order: Array<number | undefined> = [];
      for (let i = 0; i < 5; i++)
        order.push((await w.store.leases.claimNext("w", LEASE, limits))?.installationId);
      expect(order).toEqual([1, 2, 3, 1, 2]);
    });

    it("holds a new run until its tracking comment is stored, or the hold ends", async () => {
      const a = await w.store.runs.create(w.newRun(1), { holdMs: 60_000 });
      const b = await w.store.runs.create(w.newRun(2), { holdMs: 60_000 });
      if (!a.created || !b.created) throw new Error("unreachable");
      expect(await w.store.leases.claimNext("w", LEASE)).toBeUndefined();
      expect(await w.store.runs.setTrackingComment(a.run.id, 11)).toBe(true);
      expect(await w.store.runs.setTrackingComment(a.run.id, 12)).toBe(false);
      expect(await w.store.leases.claimNext("w", LEASE)).toMatchObject({
        id: a.run.id,
        trackingCommentId: 11,
      });
      expect(await w.store.leases.claimNext("w", LEASE)).toBeUndefined();
      w.tick(60_000);
      expect((await w.store.leases.claimNext("w", LEASE))?.id).toBe(b.run.id);
    });

    it("holds a released run until its retry time, and counts the retry", async () => {
      const run = await w.created(w.newRun());
      await w.store.leases.claimNext("w", LEASE);
      const later = new Date(w.now.getTime() + 120_000);
      expect(await w.store.leases.release(run.id, "w", { notBefore: later, retry: true })).toBe(
        true,
      );
      expect(await w.store.leases.release(run.id, "w")).toBe(false);
      w.tick(119_000);
      expect(await w.store.leases.claimNext("w", LEASE)).toBeUndefined();
      w.tick(1_000);
      expect(await w.store.leases.claimNext("w", LEASE)).toMatchObject({
        id: run.id,
        retries: 1,
        attempts: 2,
        notBefore: null,
      });
    });

    it("does not claim runs of a suspended installation until it is unsuspended", async () => {
      const run = await w.created(w.newRun(1, 5));
      await w.store.installations.setSuspended(5, "octo", "octo-admin");
      expect(await w.store.leases.claimNext("w", LEASE)).toBeUndefined();
      expect(await w.store.installations.isSuspended(5)).toBe(true);
      await w.store.installations.setSuspended(5, "octo", null);
      expect(await w.store.leases.claimNext("w", LEASE)).toMatchObject({ id: run.id });
    });
  });
}
