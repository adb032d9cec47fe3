// The store contract, installations: their repositories recorded, everything of a deleted one purged.
import { describe, expect, it } from "vitest";
import { storeWorld, type StoreFactory } from "./world.ts";

export function installationsContract(engine: string, factory: StoreFactory): void {
  describe(`installations in the store on ${engine}`, () => {
    const w = storeWorld(factory);

    const put = (path: string, content: string) => () => ({
      result: "ok",
      change: { put: [{ path, content }], remove: [] },
    });

    it("records repositories and purges everything of a deleted installation", async () => {
      await w.store.installations.record(9, "acme");
      await w.store.installations.addRepositories(9, ["acme/a", "acme/b"]);
      await w.store.installations.removeRepositories(9, ["acme/a"]);
      expect(await w.store.installations.repositories(9)).toEqual(["acme/b"]);
      const mine = await w.created(w.newRun(1, 9));
      const theirs = await w.created(w.newRun(2, 10));
      await w.store.audit.append(mine.id, [{ type: "a", data: {} }]);
      await w.store.deliveries.record({
        id: "d9",
        event: "issues",
        action: "labeled",
        installationId: 9,
        payload: "{}",
      });
      await w.store.memory.edit("Acme/b", put("/memories/a.md", "acme's notes"));
      await w.store.memory.edit("octo/demo", put("/memories/a.md", "octo's notes"));
      expect(await w.store.installations.purge(9)).toEqual([mine.id]);
      expect(await w.store.memory.files("acme/b")).toEqual([]);
      expect(await w.store.memory.files("octo/demo")).toHaveLength(1);
      expect(await w.store.runs.get(mine.id)).toBeUndefined();
      expect(await w.store.audit.events(mine.id)).toHaveLength(0);
      expect(await w.store.deliveries.outcome("d9")).toBeUndefined();
      expect(await w.store.installations.get(9)).toBeUndefined();
      expect(await w.store.runs.get(theirs.id)).toBeDefined();
    });
  });
}
