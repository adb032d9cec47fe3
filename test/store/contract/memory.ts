// The store contract, each repository's memory: one per repository whatever the case of its name,
// fenced by the lease, nothing written of an edit that throws, no edit lost
// when two writers edit at once.
import { describe, expect, it } from "vitest";
import { LeaseLost } from "../../../src/store/leases.ts";
import { LEASE, storeWorld, type StoreFactory } from "./world.ts";

export function memoryContract(engine: string, factory: StoreFactory): void {
  describe(`memory in the store on ${engine}`, () => {
    const w = storeWorld(factory);

    const put = (path: string, content: string) => () => ({
      result: "ok",
      change: { put: [{ path, content }], remove: [] },
    });
    /** An edit that appends a line to a file, as the memory tool's insert does. */
    const appendLine = (line: string) => (files: readonly { path: string; content: string }[]) => {
      const log = files.find((f) => f.path === "/memories/log.md");
      const content = log ? `${log.content}\n${line}` : line;
      return {
        result: line,
        change: { put: [{ path: "/memories/log.md", content }], remove: [] },
      };
    };

    it("keeps one memory per repository, whatever the case of its name, until cleared", async () => {
      await w.store.memory.edit("Octo/Demo", put("/memories/b.md", "build with make"), "run-1");
      await w.store.memory.edit("octo/demo", put("/memories/a.md", "tests in t/"), "run-2");
      await w.store.memory.edit("octo/other", put("/memories/a.md", "other notes"));
      expect(await w.store.memory.files("OCTO/demo")).toEqual([
        { path: "/memories/a.md", content: "tests in t/" },
        { path: "/memories/b.md", content: "build with make" },
      ]);
      const described = await w.store.memory.described("octo/demo");
      expect(described.map((f) => f.updatedBy)).toEqual(["run-2", "run-1"]);
      await w.store.memory.edit("octo/demo", () => ({
        result: null,
        change: {
          put: [{ path: "/memories/b.md", content: "build with make -j" }],
          remove: ["/memories/a.md"],
        },
      }));
      expect(await w.store.memory.files("octo/demo")).toEqual([
        { path: "/memories/b.md", content: "build with make -j" },
      ]);
      expect(await w.store.memory.clear("octo/demo")).toBe(1);
      expect(await w.store.memory.files("octo/demo")).toEqual([]);
      expect(await w.store.memory.files("octo/other")).toHaveLength(1);
    });

    it("takes no edit from a worker that lost the run's lease", async () => {
      const run = await w.created(w.newRun());
      await w.store.leases.claimNext("w1", LEASE);
      await w.store.memory.port("octo/demo", run.id, "w1").edit(put("/memories/a.md", "mine"));
      w.tick(LEASE + 1);
      await w.store.leases.claimNext("w2", LEASE);
      await expect(
        w.store.memory.port("octo/demo", run.id, "w1").edit(put("/memories/a.md", "stale")),
      ).rejects.toBeInstanceOf(LeaseLost);
      expect(await w.store.memory.files("octo/demo")).toEqual([
        { path: "/memories/a.md", content: "mine" },
      ]);
    });

    it("writes nothing of an edit that throws", async () => {
      await w.store.memory.edit("octo/demo", put("/memories/a.md", "kept"));
      await expect(
        w.store.memory.edit("octo/demo", () => {
          throw new Error("refused");
        }),
      ).rejects.toThrow("refused");
      expect(await w.store.memory.files("octo/demo")).toEqual([
        { path: "/memories/a.md", content: "kept" },
      ]);
    });

    it("loses no write when two writers edit one repository's memory at once", async () => {
      const other = w.factory.concurrentConnections ? await w.open() : w.store;
      const lines = Array.from({ length: 24 }, (_, i) => `note ${i}`);
      await Promise.all(
        lines.map((line, i) =>
          (i % 2 === 0 ? w.store : other).memory.edit("octo/demo", appendLine(line)),
        ),
      );
      const [log] = await w.store.memory.files("octo/demo");
      expect(log?.content.split("\n").sort()).toEqual([...lines].sort());
    });
  });
}
