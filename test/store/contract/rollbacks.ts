// The store contract, the part of `/stamina rollback` and `/stamina status`: a
// rollback request is a run of kind "rollback" with its request, written
// together, holding the issue's one active slot; the last run on an issue or
// pull request and the runs on a branch leave rollbacks (and re-runs of the
// checks) out; purging an installation takes its requests along.
import { describe, expect, it } from "vitest";
import type { Run } from "../../../src/store/types.ts";
import { storeWorld, type StoreFactory } from "./world.ts";

export function rollbacksContract(engine: string, factory: StoreFactory): void {
  describe(`rollbacks in the store on ${engine}`, () => {
    const w = storeWorld(factory);

    /** A finished run on `issueNumber` that pushed `branch` and opened pull request `pull`. */
    const finished = async (issueNumber: number, branch: string, pull: number): Promise<Run> => {
      const created = await w.store.runs.create(w.newRun(issueNumber));
      if (!created.created) throw new Error("expected a new run");
      w.tick(1_000);
      await w.store.runs.update(created.run.id, {
        branch,
        pullNumber: pull,
        headSha: "c".repeat(40),
      });
      return w.store.runs.finish(created.run.id, "succeeded", "pull request opened");
    };

    const asked = (n: number) => ({ deliveryId: `c-${n}`, login: "octocat", loginId: 1 });

    it("queues a rollback as a run on the target's issue, with its request, one at a time", async () => {
      const target = await finished(1, "stamina/1-fix-it", 101);
      const request = {
        toSha: "a".repeat(40),
        checkpoint: 2,
        askedOn: 101,
        requestedBy: "@octocat",
      };
      const queued = await w.store.rollbacks.request(target, request, asked(1));
      if (!queued.created) throw new Error("expected the rollback to be queued");
      expect(queued.run).toMatchObject({
        kind: "rollback",
        state: "queued",
        issueNumber: 1,
        requestedBy: "octocat",
        requestedById: 1,
      });
      expect(await w.store.rollbacks.get(queued.run.id)).toEqual({
        ...request,
        runId: queued.run.id,
        targetRunId: target.id,
        branch: "stamina/1-fix-it",
        createdAt: w.now.toISOString(),
      });
      // It holds the issue's active slot: a second rollback or a new run waits for none.
      expect((await w.store.runs.activeOn("octo", "demo", 1))?.id).toBe(queued.run.id);
      const again = await w.store.rollbacks.request(target, request, asked(2));
      expect(again).toMatchObject({ created: false, active: { id: queued.run.id } });
      expect(await w.store.runs.create(w.newRun(1))).toMatchObject({ created: false });
      // A worker claims it like any run.
      expect((await w.store.leases.claimNext("w1", 60_000))?.id).toBe(queued.run.id);
      expect(await w.store.rollbacks.get("no-such-run")).toBeUndefined();
    });

    it("finds the last run on an issue or its pull request, and the runs on a branch, rollbacks left out", async () => {
      const first = await finished(1, "stamina/1-fix-it", 101);
      const other = await finished(2, "stamina/2-other", 102);
      const second = await finished(1, "stamina/1-fix-it", 101);
      const rollback = await w.store.rollbacks.request(
        second,
        { toSha: "a".repeat(40), checkpoint: 1, askedOn: 1, requestedBy: "@octocat" },
        asked(3),
      );
      if (!rollback.created) throw new Error("expected the rollback to be queued");
      await w.store.runs.update(rollback.run.id, { branch: "stamina/1-fix-it" });

      expect((await w.store.rollbacks.lastRunOn("octo", "demo", 1))?.id).toBe(second.id);
      expect((await w.store.rollbacks.lastRunOn("octo", "demo", 101))?.id).toBe(second.id);
      expect((await w.store.rollbacks.lastRunOn("octo", "demo", 102))?.id).toBe(other.id);
      expect(await w.store.rollbacks.lastRunOn("octo", "demo", 3)).toBeUndefined();
      expect(await w.store.rollbacks.lastRunOn("octo", "elsewhere", 1)).toBeUndefined();
      // A later run that pushed nothing yet is the last run, not the last that pushed.
      await w.store.runs.finish(rollback.run.id, "succeeded", "rolled back");
      const fresh = await w.store.runs.create(w.newRun(1));
      if (!fresh.created) throw new Error("expected a new run");
      expect((await w.store.rollbacks.lastRunOn("octo", "demo", 1))?.id).toBe(fresh.run.id);
      const pushed = await w.store.rollbacks.lastRunOn("octo", "demo", 1, { pushed: true });
      expect(pushed?.id).toBe(second.id);
      const onBranch = await w.store.rollbacks.runsOnBranch("octo", "demo", "stamina/1-fix-it");
      expect(onBranch.map((r) => r.id)).toEqual([first.id, second.id]);
    });

    it("leaves a re-run of the checks out of the last run on a pull request, though it holds its slot", async () => {
      const opened = await finished(1, "stamina/1-fix-it", 101);
      const recheck = await w.store.runs.create(w.newRun(101), { kind: "recheck" });
      if (!recheck.created) throw new Error("expected the re-run to be queued");
      expect(recheck.run).toMatchObject({ kind: "recheck", issueNumber: 101, state: "queued" });
      expect((await w.store.runs.activeOn("octo", "demo", 101))?.id).toBe(recheck.run.id);
      await w.store.runs.finish(recheck.run.id, "succeeded", "Checks passed");
      expect((await w.store.rollbacks.lastRunOn("octo", "demo", 101))?.id).toBe(opened.id);
      expect((await w.store.rollbacks.lastRunOn("octo", "demo", 1))?.id).toBe(opened.id);
    });

    it("purges an installation's rollback requests with its runs", async () => {
      const target = await finished(1, "stamina/1-fix-it", 101);
      const queued = await w.store.rollbacks.request(
        target,
        { toSha: "a".repeat(40), checkpoint: 1, askedOn: 1, requestedBy: "@octocat" },
        asked(4),
      );
      if (!queued.created) throw new Error("expected the rollback to be queued");
      await w.store.installations.purge(7);
      expect(await w.store.rollbacks.get(queued.run.id)).toBeUndefined();
      expect(await w.store.runs.get(target.id)).toBeUndefined();
    });
  });
}
