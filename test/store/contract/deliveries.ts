// The store contract, webhook deliveries: a redelivered id is a duplicate, however many arrive at once.
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
  });
}
