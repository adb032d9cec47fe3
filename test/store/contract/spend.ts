// The store contract, spend: each step reserves against the operator's limits in a write
// transaction, its checkpoint charges what it cost to the installation's ledger (a retry never
// charges the spend it carries again), and two stores racing for the last dollar cannot both
// have it.
import { describe, expect, it } from "vitest";
import type { Store } from "../../../src/store/store.ts";
import type { CheckpointInput } from "../../../src/store/types.ts";
import { LEASE, storeWorld, type StoreFactory } from "./world.ts";

/** A checkpoint whose state says the run has spent `dollars` so far. */
function spentCheckpoint(step: number, dollars: number): CheckpointInput {
  return {
    step,
    added: [{ role: "user", content: `step ${step}` }],
    state: {
      version: 1,
      usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
      spent: { tokens: 0, dollars, elapsedMs: 0 },
      phase: "implement",
      plan: [],
      verification: null,
      verifications: 0,
      hooks: {},
    },
    baseSha: "a".repeat(40),
    diff: Buffer.from(`diff ${step}`),
  };
}

export function spendContract(engine: string, factory: StoreFactory): void {
  describe(`spend in the store on ${engine}`, () => {
    const w = storeWorld(factory);

    /** A run claimed by worker `w` on installation `installation`. */
    const claimed = async (issue: number, installation = 7) => {
      const run = await w.created(w.newRun(issue, installation));
      const got = await w.store.leases.claimNext("w", LEASE);
      expect(got?.id).toBe(run.id);
      return run;
    };
    const reserve = (
      store: Store,
      runId: string,
      runSpent: number,
      estimate: number,
      limits = {},
    ) => store.spend.reserve({ runId, installationId: 7, runSpent, estimate, limits });

    it("charges each checkpoint's new spend to the installation's day, once", async () => {
      const run = await claimed(1);
      await w.store.checkpoints.save(run.id, "w", spentCheckpoint(1, 0.25));
      await w.store.checkpoints.save(run.id, "w", spentCheckpoint(2, 0.75));
      // A checkpoint written again with the same total charges nothing more.
      await w.store.checkpoints.save(run.id, "w", spentCheckpoint(3, 0.75));
      expect(await w.store.spend.totals(7)).toEqual({ day: 0.75, month: 0.75 });
      expect(await w.store.spend.totals(8)).toEqual({ day: 0, month: 0 });
      // The next day is a new day, in the same month.
      w.tick(24 * 3600_000);
      await w.store.checkpoints.save(run.id, "w", spentCheckpoint(4, 1));
      expect(await w.store.spend.totals(7)).toEqual({ day: 0.25, month: 1 });
    });

    it("refuses a step past the day's or the month's limit, and says which", async () => {
      const run = await claimed(1);
      await w.store.checkpoints.save(run.id, "w", spentCheckpoint(1, 4));
      const limits = { perInstallationDay: 5, perInstallationMonth: 6 };
      expect(await reserve(w.store, run.id, 4, 0.5, limits)).toBeNull();
      expect(await reserve(w.store, run.id, 4, 1.5, limits)).toEqual({
        limit: "day",
        cap: 5,
        spent: 4,
      });
      await w.store.checkpoints.save(run.id, "w", spentCheckpoint(2, 4.9));
      w.tick(24 * 3600_000);
      // A new day, but the month holds 4.90 of its 6.
      expect(await reserve(w.store, run.id, 4.9, 1.5, limits)).toEqual({
        limit: "month",
        cap: 6,
        spent: 4.9,
      });
      expect(await w.store.spend.usedUp(7, { perInstallationMonth: 4.9 })).toMatchObject({
        limit: "month",
      });
      expect(await w.store.spend.usedUp(7, limits)).toBeNull();
    });

    it("holds the run's own limit, counting what the run carries", async () => {
      const run = await claimed(1);
      expect(await reserve(w.store, run.id, 9.5, 1, { perRun: 10 })).toEqual({
        limit: "run",
        cap: 10,
        spent: 9.5,
      });
      expect(await reserve(w.store, run.id, 8.5, 1, { perRun: 10 })).toBeNull();
      expect(await w.store.spend.usedUp(7, { perRun: 10 }, 10)).toMatchObject({ limit: "run" });
    });

    it("counts what other runs hold until their checkpoint, and drops a dead run's hold", async () => {
      const first = await claimed(1);
      const second = await claimed(2);
      const limits = { perInstallationDay: 1 };
      expect(await reserve(w.store, first.id, 0, 0.6, limits)).toBeNull();
      expect(await reserve(w.store, second.id, 0, 0.6, limits)).toMatchObject({
        limit: "day",
        spent: 0.6,
      });
      // The step cost less than it held: the checkpoint frees the rest.
      await w.store.checkpoints.save(first.id, "w", spentCheckpoint(1, 0.2));
      expect(await reserve(w.store, second.id, 0, 0.6, limits)).toBeNull();
      // The second run's worker dies holding 0.60: after ten minutes the hold lapses.
      expect(await reserve(w.store, first.id, 0.2, 0.6, limits)).toMatchObject({ limit: "day" });
      w.tick(10 * 60_000 + 1);
      expect(await reserve(w.store, first.id, 0.2, 0.6, limits)).toBeNull();
    });

    it("never charges again what a retry carries from the run it continues", async () => {
      const from = await claimed(1);
      await w.store.runs.update(from.id, { branch: "stamina/1-fix-it", baseSha: "a".repeat(40) });
      await w.store.checkpoints.save(from.id, "w", spentCheckpoint(1, 2));
      await w.store.runs.finish(from.id, "out_of_budget", "budget");
      const result = await w.store.retries.create(from, w.newRun());
      if (!result.created) throw new Error("expected a retry");
      expect((await w.store.leases.claimNext("w", LEASE))?.id).toBe(result.run.id);
      await w.store.checkpoints.save(result.run.id, "w", spentCheckpoint(2, 2.5));
      expect((await w.store.spend.totals(7)).day).toBe(2.5);
      // With a limit set, the retry's first reservation starts from what it carries.
      const next = await w.store.retries.create(
        await w.store.runs.finish(result.run.id, "failed", "broke"),
        w.newRun(),
      );
      if (!next.created) throw new Error("expected a retry");
      expect((await w.store.leases.claimNext("w", LEASE))?.id).toBe(next.run.id);
      expect(await reserve(w.store, next.run.id, 2.5, 0.1, { perInstallationDay: 3 })).toBeNull();
      await w.store.checkpoints.save(next.run.id, "w", spentCheckpoint(3, 2.75));
      expect((await w.store.spend.totals(7)).day).toBe(2.75);
    });

    it.runIf(factory.concurrentConnections)(
      "lets only one of two stores racing for the last dollar have it",
      async () => {
        const other = await w.open();
        for (let round = 0; round < 10; round++) {
          const a = await claimed(100 + 2 * round);
          const b = await claimed(101 + 2 * round);
          const limits = { perInstallationDay: 1 + round };
          // Each round starts with `round` dollars spent: one dollar is left, and both want 0.60.
          const results = await Promise.all([
            reserve(w.store, a.id, 0, 0.6, limits),
            reserve(other, b.id, 0, 0.6, limits),
          ]);
          expect(results.filter((r) => r === null)).toHaveLength(1);
          // The winner's step cost a whole dollar, which fills the day for the next round.
          const winner = results[0] === null ? a : b;
          await w.store.checkpoints.save(winner.id, "w", spentCheckpoint(1, 1));
          await w.store.runs.finish(a.id, "succeeded", "done");
          await w.store.runs.finish(b.id, "succeeded", "done");
        }
        expect((await w.store.spend.totals(7)).day).toBe(10);
      },
    );

    it("purges a deleted installation's spend with its runs", async () => {
      const run = await claimed(1);
      await w.store.checkpoints.save(run.id, "w", spentCheckpoint(1, 3));
      await w.store.installations.record(7, "octo");
      await w.store.installations.purge(7);
      expect(await w.store.spend.totals(7)).toEqual({ day: 0, month: 0 });
    });
  });
}
