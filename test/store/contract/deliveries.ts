// The store contract, webhook deliveries: a redelivered id is a duplicate, however many arrive at
// once; the same input under new ids is a replay, kept and handled; deliveries refused for load
// wait to be asked for again.
import { describe, expect, it } from "vitest";
import { storeWorld, type StoreFactory } from "./world.ts";

export function deliveriesContract(engine: string, factory: StoreFactory): void {
  describe(`deliveries in the store on ${engine}`, () => {
    const w = storeWorld(factory);

    it("reports a redelivered id as a duplicate, however many arrive at once", async () => {
      const d = {
        id: "abc",
        event: "issues",
        action: "labeled",
        installationId: 1,
        payload: "{}",
      };
      const results = await Promise.all(
        Array.from({ length: 10 }, () => w.store.deliveries.record(d)),
      );
      expect(results.filter((r) => r === "new")).toHaveLength(1);
      expect(await w.store.deliveries.unhandled()).toHaveLength(1);
      await w.store.deliveries.markHandled("abc", "ok");
      expect(await w.store.deliveries.unhandled()).toHaveLength(0);
      expect(await w.store.deliveries.outcome("abc")).toBe("ok");
    });

    it("takes in 250 deliveries that arrive together, each once, past one insert's batch", async () => {
      const d = (n: number) => ({
        id: `many-${n}`,
        event: "issues",
        action: "labeled",
        installationId: 1,
        payload: "{}",
        inputKey: `issues:${n}`,
      });
      // 200 deliveries, then 50 of them again, all at once.
      const sent = [
        ...Array.from({ length: 200 }, (_, n) => d(n)),
        ...Array.from({ length: 50 }, (_, n) => d(n * 4)),
      ];
      const results = await Promise.all(sent.map((x) => w.store.deliveries.record(x)));
      expect(results.filter((r) => r === "new")).toHaveLength(200);
      expect(results.filter((r) => r === "duplicate")).toHaveLength(50);
      expect(results.slice(0, 200).every((r) => r === "new")).toBe(true);
      expect(await w.store.deliveries.unhandled(1_000)).toHaveLength(200);
    });

    it("acts on an input key once, however many delivery ids carry it at once", async () => {
      const d = (id: string) => ({
        id,
        event: "issue_comment",
        action: "created",
        installationId: 1,
        payload: "{}",
        inputKey: "issue_comment.created:7",
      });
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => w.store.deliveries.record(d(`id-${i}`))),
      );
      const fresh = results.flatMap((r, i) => (r === "new" ? [`id-${i}`] : []));
      expect(fresh).toHaveLength(1);
      // Every replay is recorded, handled at once, naming the delivery that acted.
      const replays = results.filter((r) => typeof r === "object");
      expect(replays.length + results.filter((r) => r === "duplicate").length).toBe(7);
      for (const r of replays) expect(r).toEqual({ replayOf: fresh[0] });
      expect((await w.store.deliveries.unhandled()).map((u) => u.id)).toEqual(fresh);
      expect(await w.store.deliveries.record(d(fresh[0]!))).toBe("duplicate");
      const ignored = await w.store.deliveries.recordIgnored(
        { ...d("old"), inputKey: "issue_comment.created:8" },
        "ignored: stale",
      );
      expect(ignored).toBe("new");
      expect(await w.store.deliveries.outcome("old")).toBe("ignored: stale");
      // An ignored delivery holds no key: the same input, fresh, still acts.
      expect(
        await w.store.deliveries.record({ ...d("new"), inputKey: "issue_comment.created:8" }),
      ).toBe("new");
    });

    it("keeps deliveries refused for load until they arrive, and knows which it asked for", async () => {
      await w.store.deliveries.refusedForLoad("g1");
      await w.store.deliveries.refusedForLoad("g2");
      await w.store.deliveries.refusedForLoad("g1");
      expect((await w.store.deliveries.awaitingRedelivery()).map((r) => r.guid).sort()).toEqual([
        "g1",
        "g2",
      ]);
      expect(await w.store.deliveries.askedToResend("g1")).toBe(false);
      await w.store.deliveries.redeliveryRequested("g1", "99");
      expect(await w.store.deliveries.askedToResend("g1")).toBe(true);
      const pending = await w.store.deliveries.awaitingRedelivery();
      expect(pending.find((r) => r.guid === "g1")).toMatchObject({ attempts: 1 });
      await w.store.deliveries.record({
        id: "g1",
        event: "issues",
        action: "labeled",
        installationId: 1,
        payload: "{}",
      });
      expect((await w.store.deliveries.awaitingRedelivery()).map((r) => r.guid)).toEqual(["g2"]);
    });
  });
}
