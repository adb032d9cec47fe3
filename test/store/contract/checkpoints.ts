// The store contract, step checkpoints: each step's messages appended, the latest state and diff
// kept byte for byte, fenced by the lease; a retry continues from them.
import { describe, expect, it } from "vitest";
import { LeaseLost } from "../../../src/store/leases.ts";
import type { CheckpointInput } from "../../../src/store/types.ts";
import { parseRepoConfig } from "../../../src/policy/config.ts";
import { LEASE, storeWorld, type StoreFactory } from "./world.ts";

export function checkpointsContract(engine: string, factory: StoreFactory): void {
  describe(`checkpoints in the store on ${engine}`, () => {
    const w = storeWorld(factory);

    const checkpoint = (step: number, text: string, diff: Buffer | null): CheckpointInput => ({
      step,
      added: [
        { role: "assistant", content: [{ type: "text", text }] },
        { role: "user", content: `result ${step}` },
      ],
      state: {
        version: 1,
        usage: { inputTokens: step, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
        spent: { tokens: step, dollars: 0, elapsedMs: 0 },
        phase: "implement",
        plan: [],
        verification: null,
        verifications: 0,
        hooks: {},
      },
      baseSha: "a".repeat(40),
      diff,
    });

    it("appends each step's messages and keeps the latest state and diff, bytes intact", async () => {
      const run = await w.created(w.newRun());
      await w.store.leases.claimNext("w", LEASE);
      expect(await w.store.checkpoints.load(run.id)).toBeUndefined();
      await w.store.checkpoints.save(run.id, "w", checkpoint(1, "one", Buffer.from("diff 1")));
      const binary = Buffer.from([0, 255, 1, 254, 10, 13, 0x80]);
      await w.store.checkpoints.save(run.id, "w", checkpoint(2, "two", binary));
      const loaded = await w.store.checkpoints.load(run.id);
      expect(loaded?.step).toBe(2);
      expect(loaded?.messages).toHaveLength(4);
      expect(loaded?.messages[2]).toEqual(checkpoint(2, "two", binary).added[0]);
      expect(loaded?.state.usage.inputTokens).toBe(2);
      expect(loaded?.diff.equals(binary)).toBe(true);
      expect((await w.store.runs.get(run.id))?.stepsUsed).toBe(2);
    });

    it("keeps the last diff, unwritten, for a step that changed nothing, and only on its base", async () => {
      const run = await w.created(w.newRun());
      await w.store.leases.claimNext("w", LEASE);
      expect(await w.store.checkpoints.latestDiff(run.id)).toBeUndefined();
      // Nothing to keep before the first diff is written.
      await expect(
        w.store.checkpoints.save(run.id, "w", checkpoint(1, "one", null)),
      ).rejects.toThrow(/no checkpoint/);
      await w.store.checkpoints.save(run.id, "w", checkpoint(1, "one", Buffer.from("diff 1")));
      await w.store.checkpoints.save(run.id, "w", checkpoint(2, "two", null));
      const loaded = await w.store.checkpoints.load(run.id);
      expect(loaded?.step).toBe(2);
      expect(loaded?.messages).toHaveLength(4);
      expect(loaded?.diff.toString()).toBe("diff 1");
      // The pages read the diff alone, at the step it was last kept for.
      expect(await w.store.checkpoints.latestDiff(run.id)).toEqual({
        step: 2,
        baseSha: loaded?.baseSha,
        diff: Buffer.from("diff 1"),
      });
      // A diff taken on another base is never kept for it.
      const moved = { ...checkpoint(3, "three", null), baseSha: "b".repeat(40) };
      await expect(w.store.checkpoints.save(run.id, "w", moved)).rejects.toThrow(/no checkpoint/);
      expect((await w.store.checkpoints.load(run.id))?.step).toBe(2);
    });

    it("keeps whether a run is dry and which run it continues", async () => {
      const dry = await w.created({ ...w.newRun(), dryRun: true });
      expect(dry).toMatchObject({ dryRun: true, continues: null });
      expect((await w.created(w.newRun(2))).dryRun).toBe(false);
    });

    describe("a retry", () => {
      const failedRun = async (pushed: string | null) => {
        const run = await w.created(w.newRun());
        await w.store.leases.claimNext("w", LEASE);
        await w.store.runs.update(run.id, { branch: "stamina/1-fix-it", baseSha: "a".repeat(40) });
        await w.store.checkpoints.save(run.id, "w", checkpoint(1, "one", Buffer.from("diff 1")));
        await w.store.checkpoints.save(run.id, "w", checkpoint(2, "two", Buffer.from("diff 2")));
        await w.store.runs.update(run.id, {
          pullNumber: 101,
          pullUrl: "https://github.test/octo/demo/pull/101",
          ...(pushed ? { headSha: pushed } : {}),
        });
        return w.store.runs.finish(run.id, "failed", "the build broke");
      };

      it("continues the last run: its branch, pull request, transcript, state and diff", async () => {
        const from = await failedRun(null);
        expect((await w.store.retries.lastOn("octo", "demo", 1))?.id).toBe(from.id);
        const config = parseRepoConfig({ budget: { steps: 9 } });
        const result = await w.store.retries.create(from, { ...w.newRun(), config });
        if (!result.created) throw new Error("expected a new run");
        const run = result.run;
        expect(run).toMatchObject({
          continues: from.id,
          state: "queued",
          branch: "stamina/1-fix-it",
          pullNumber: 101,
          baseSha: "a".repeat(40),
          headSha: null,
          stepsUsed: 2,
          config: { budget: { steps: 9 } },
        });
        expect((await w.store.retries.lastOn("octo", "demo", 1))?.id).toBe(run.id);
        const loaded = await w.store.checkpoints.load(run.id);
        expect(loaded?.step).toBe(2);
        expect(loaded?.messages).toEqual((await w.store.checkpoints.load(from.id))?.messages);
        expect(loaded?.diff.toString()).toBe("diff 2");
        // It holds the pull request: a trigger there waits for it.
        expect((await w.store.runs.activeOn("octo", "demo", 101))?.id).toBe(run.id);
        // One active run per issue, retries included.
        expect((await w.store.retries.create(from, w.newRun())).created).toBe(false);
        // The earlier run is untouched.
        expect(await w.store.runs.get(from.id)).toMatchObject({ state: "failed", stepsUsed: 2 });
      });

      it("starts from the head pushed after the checkpoint, with no diff to apply", async () => {
        const from = await failedRun("b".repeat(40));
        const result = await w.store.retries.create(from, w.newRun());
        if (!result.created) throw new Error("expected a new run");
        const loaded = await w.store.checkpoints.load(result.run.id);
        expect(loaded).toMatchObject({ step: 2, baseSha: "b".repeat(40) });
        expect(loaded?.diff.length).toBe(0);
        expect(result.run.headSha).toBe("b".repeat(40));
      });
    });

    it("refuses a checkpoint from a worker that lost the lease", async () => {
      const run = await w.created(w.newRun());
      await w.store.leases.claimNext("w", LEASE);
      await w.store.runs.update(run.id, { state: "running" });
      w.tick(LEASE + 1);
      await w.store.leases.claimNext("w2", LEASE);
      await expect(
        w.store.checkpoints.save(run.id, "w", checkpoint(1, "late", Buffer.alloc(0))),
      ).rejects.toBeInstanceOf(LeaseLost);
      await expect(
        w.store.audit.append(run.id, [{ type: "late", data: {} }], "w"),
      ).rejects.toBeInstanceOf(LeaseLost);
      expect(await w.store.checkpoints.load(run.id)).toBeUndefined();
      expect(await w.store.audit.events(run.id)).toHaveLength(0);
    });
  });
}
