// The store contract, deliveries refused for load: notes capped (their ids are unauthenticated),
// counted tries, and forgotten on request; a note whose delivery arrived no longer counts.
import { describe, expect, it } from "vitest";
import { storeWorld, type StoreFactory } from "./world.ts";

export function redeliveryRequestsContract(engine: string, factory: StoreFactory): void {
  describe(`deliveries refused for load in the store on ${engine}`, () => {
    const w = storeWorld(factory);

    it("notes refused deliveries up to a cap of those still awaited", async () => {
      const deliveries = w.store.deliveries;
      expect(await deliveries.refusedForLoad("a", 2)).toBe(true);
      expect(await deliveries.refusedForLoad("b", 2)).toBe(true);
      expect(await deliveries.refusedForLoad("c", 2)).toBe(false);
      expect((await deliveries.awaitingRedelivery()).map((n) => n.guid)).toEqual(["a", "b"]);
      // "a" arrives: it awaits nothing now, so another may be noted.
      await deliveries.record({
        id: "a",
        event: "issues",
        action: "labeled",
        installationId: 1,
        payload: "{}",
      });
      expect(await deliveries.refusedForLoad("c", 2)).toBe(true);
      expect((await deliveries.awaitingRedelivery()).map((n) => n.guid)).toEqual(["b", "c"]);
    });

    it("counts tries, remembers a request, and forgets a note", async () => {
      const deliveries = w.store.deliveries;
      await deliveries.refusedForLoad("g");
      await deliveries.redeliveryTried("g");
      expect(await deliveries.askedToResend("g")).toBe(false);
      await deliveries.redeliveryRequested("g", "42");
      expect(await deliveries.askedToResend("g")).toBe(true);
      expect(await deliveries.awaitingRedelivery()).toEqual([
        expect.objectContaining({ guid: "g", attempts: 2 }),
      ]);
      await deliveries.dropRedelivery("g");
      expect(await deliveries.awaitingRedelivery()).toEqual([]);
    });
  });
}
