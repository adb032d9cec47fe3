// The store contract, the audit chain: in order across appends, verifiable, redacted before it is
// hashed, and gapless when two writers append at once.
import { describe, expect, it } from "vitest";
import { verifyChain } from "../../../src/audit/verify.ts";
import { storeWorld, type StoreFactory } from "./world.ts";

export function auditContract(engine: string, factory: StoreFactory): void {
  describe(`audit events in the store on ${engine}`, () => {
    const w = storeWorld(factory);

    it("chain in order across appends, verify, and are redacted before hashing", async () => {
      const run = await w.created(w.newRun());
      await w.store.audit.append(run.id, [{ type: "a", data: { n: 1 } }]);
      await w.store.audit.append(run.id, [
        { type: "b", data: { output: "token super-secret-value here" } },
        {
          type: "c",
          data: { auth: "Authorization: Bearer ghs_abcdefghijklmnopqrstuvwxyz0123456789" },
        },
      ]);
      const events = await w.store.audit.events(run.id);
      // Each event the store had to redact is followed by the safety event that says so.
      expect(events.map((e) => e.type)).toEqual(["a", "b", "safety", "c", "safety"]);
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(events[2]!.data).toMatchObject({
        control: "audit.redaction",
        outcome: "redacted",
        event: "b",
      });
      expect(verifyChain(events)).toMatchObject({ ok: true, count: 5, head: events[4]!.hash });
      expect(await w.store.audit.head(run.id)).toBe(events[4]!.hash);
      // A live page asks only for what it has not seen.
      expect(await w.store.audit.events(run.id, 3)).toEqual(events.slice(3));
      expect(await w.store.audit.events(run.id, 5)).toEqual([]);
      const text = JSON.stringify(events);
      expect(text).not.toContain("super-secret-value");
      expect(text).not.toContain("ghs_abcdefghijklmnopqrstuvwxyz0123456789");
      // Never after a log's end: its last event stays the one that closes it.
      await w.store.audit.append(run.id, [
        { type: "run.finished", data: { outcome: "super-secret-value" } },
      ]);
      expect((await w.store.audit.events(run.id)).at(-1)!.type).toBe("run.finished");
    });

    it("stays gapless when two writers append to one run at once", async () => {
      const run = await w.created(w.newRun());
      const other = w.factory.concurrentConnections ? await w.open() : w.store;
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? w.store : other).audit.append(run.id, [{ type: `e${i}`, data: {} }]),
        ),
      );
      const events = await w.store.audit.events(run.id);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(verifyChain(events).ok).toBe(true);
    });
  });
}
