// The store contract, triggers on a pull request: one follow-up at a time, later triggers batched,
// the pull requests Stamina works on, and one audit chain per pull request.
import { describe, expect, it } from "vitest";
import { verifyChain } from "../../../src/audit/verify.ts";
import { LeaseLost } from "../../../src/store/leases.ts";
import { LEASE, storeWorld, type StoreFactory } from "./world.ts";

export function pullsContract(engine: string, factory: StoreFactory): void {
  describe(`pull requests in the store on ${engine}`, () => {
    const w = storeWorld(factory);

    it("queues a later trigger as the follow-up of the active run, batches the next, and starts it when the first ends", async () => {
      const issueRun = await w.created(w.newRun(5));
      await w.store.runs.update(issueRun.id, { pullNumber: 101 });
      const followUp = { ...w.newRun(101), pullNumber: 101 };
      const first = await w.store.runs.enqueueFollowUp(followUp);
      expect(first).toMatchObject({ status: "queued", behind: { id: issueRun.id } });
      const second = await w.store.runs.enqueueFollowUp({ ...w.newRun(101), pullNumber: 101 });
      expect(second).toMatchObject({ status: "batched", run: { id: first.run.id } });
      expect((await w.store.runs.triggers(first.run.id)).map((t) => t.deliveryId)).toHaveLength(2);

      // Waiting: not claimable, while the issue run is.
      expect((await w.store.leases.claimNext("w", LEASE))?.id).toBe(issueRun.id);
      expect(await w.store.leases.claimNext("w", LEASE)).toBeUndefined();
      expect((await w.store.runs.activeOn("octo", "demo", 101))?.id).toBe(issueRun.id);

      await w.store.runs.finish(issueRun.id, "succeeded", "done");
      expect((await w.store.runs.activeOn("octo", "demo", 101))?.id).toBe(first.run.id);
      expect(await w.store.leases.claimNext("w", LEASE)).toMatchObject({
        id: first.run.id,
        kind: "follow_up",
        issueNumber: 101,
      });
      const third = await w.store.runs.enqueueFollowUp({ ...w.newRun(101), pullNumber: 101 });
      expect(third).toMatchObject({ status: "queued", behind: { id: first.run.id } });
    });

    it("keeps each trigger's time with it, whether it starts, joins or waits as a follow-up", async () => {
      const at = (s: number) => `2026-11-21T10:00:0${s}.000Z`;
      const on101 = (s: number) => ({ ...w.newRun(101), pullNumber: 101, triggeredAt: at(s) });
      const started = await w.store.runs.enqueueFollowUp(on101(1));
      await w.store.runs.enqueueFollowUp(on101(2));
      await w.store.runs.enqueueFollowUp({ ...w.newRun(101), pullNumber: 101 });
      const times = async (id: string) =>
        (await w.store.runs.triggers(id)).map(
          (t) => (t.data as { triggeredAt?: string }).triggeredAt,
        );
      expect(await times(started.run.id)).toEqual([at(1), at(2), undefined]);
      await w.store.leases.claimNext("w", LEASE);
      const waiting = await w.store.runs.enqueueFollowUp(on101(3));
      const batched = await w.store.runs.enqueueFollowUp(on101(4));
      expect(waiting.status).toBe("queued");
      expect(batched.status).toBe("batched");
      expect(await times(waiting.run.id)).toEqual([at(3), at(4)]);
    });

    it("keeps the ids of the run's check runs on GitHub, so a resumed run edits them", async () => {
      const run = await w.created(w.newRun());
      expect(run).toMatchObject({ checkRun: null, auditCheckRuns: null });
      // Check run ids on GitHub pass 2^31: the column must hold them.
      const big = 30_000_000_123;
      await w.store.runs.update(run.id, {
        checkRun: { id: big, sha: "b".repeat(40) },
        auditCheckRuns: { sha: "c".repeat(40), ids: [big + 1, big + 2] },
      });
      const reopened = await w.open();
      expect(await reopened.runs.mustGet(run.id)).toMatchObject({
        checkRun: { id: big, sha: "b".repeat(40) },
        auditCheckRuns: { sha: "c".repeat(40), ids: [big + 1, big + 2] },
      });
      await w.store.runs.update(run.id, { checkRun: null });
      expect((await w.store.runs.mustGet(run.id)).checkRun).toBeNull();
    });

    it("joins later triggers to a follow-up no worker has started, so one review makes one run", async () => {
      const first = await w.store.runs.enqueueFollowUp({ ...w.newRun(101), pullNumber: 101 });
      const second = await w.store.runs.enqueueFollowUp({ ...w.newRun(101), pullNumber: 101 });
      const third = await w.store.runs.enqueueFollowUp({ ...w.newRun(101), pullNumber: 101 });
      expect(first.status).toBe("started");
      expect([second.status, third.status]).toEqual(["joined", "joined"]);
      expect([second.run.id, third.run.id]).toEqual([first.run.id, first.run.id]);
      expect(await w.store.runs.triggers(first.run.id)).toHaveLength(3);
      expect((await w.store.leases.claimNext("w", LEASE))?.id).toBe(first.run.id);
      expect(await w.store.leases.claimNext("w", LEASE)).toBeUndefined();
      // Once a worker has it, the next trigger waits for the next round.
      const fourth = await w.store.runs.enqueueFollowUp({ ...w.newRun(101), pullNumber: 101 });
      expect(fourth).toMatchObject({ status: "queued", behind: { id: first.run.id } });
    });

    it("knows the pull requests Stamina works on: opened by a run, or handed over with a follow-up", async () => {
      const issueRun = await w.created(w.newRun(5));
      expect(await w.store.pulls.isStaminas("octo", "demo", 101)).toBe(false);
      await w.store.runs.update(issueRun.id, { pullNumber: 101 });
      await w.store.runs.finish(issueRun.id, "succeeded", "done");
      expect(await w.store.pulls.isStaminas("Octo", "Demo", 101)).toBe(true);
      expect(await w.store.pulls.isStaminas("octo", "demo", 102)).toBe(false);
      expect(await w.store.pulls.isStaminas("octo", "other", 101)).toBe(false);
      await w.store.runs.enqueueFollowUp({ ...w.newRun(102), pullNumber: 102 });
      expect(await w.store.pulls.isStaminas("octo", "demo", 102)).toBe(true);
      // An issue with that number is not a pull request of Stamina's.
      await w.created(w.newRun(103));
      expect(await w.store.pulls.isStaminas("octo", "demo", 103)).toBe(false);
    });

    it("writes every round on a pull request into the chain of the run that opened it", async () => {
      const issueRun = await w.created(w.newRun(5));
      await w.store.audit.append(issueRun.id, [{ type: "run.claimed", data: {} }]);
      await w.store.runs.update(issueRun.id, { pullNumber: 101 });
      await w.store.runs.finish(issueRun.id, "succeeded", "done");
      const first = await w.store.runs.enqueueFollowUp({ ...w.newRun(101), pullNumber: 101 });
      const claimed = await w.store.leases.claimNext("w", LEASE);
      expect(claimed?.id).toBe(first.run.id);
      await w.store.audit.append(first.run.id, [{ type: "review.round", data: {} }], "w");
      await expect(
        w.store.audit.append(first.run.id, [{ type: "x", data: {} }], "someone-else"),
      ).rejects.toBeInstanceOf(LeaseLost);
      await w.store.runs.finish(first.run.id, "succeeded", "answered");
      const second = await w.store.runs.enqueueFollowUp({ ...w.newRun(101), pullNumber: 101 });
      await w.store.audit.append(second.run.id, [{ type: "review.round", data: {} }]);

      const events = await w.store.audit.events(second.run.id);
      expect(events.map((e) => e.type)).toEqual(["run.claimed", "review.round", "review.round"]);
      expect(verifyChain(events)).toMatchObject({ ok: true, count: 3 });
      expect(new Set(events.map((e) => e.run))).toEqual(new Set([issueRun.id]));
      expect(await w.store.audit.events(issueRun.id)).toEqual(events);
      expect(await w.store.audit.head(first.run.id)).toBe(events[2]!.hash);
      // A pull request handed over: the first round starts the chain the later ones join.
      const handed = await w.store.runs.enqueueFollowUp({ ...w.newRun(102), pullNumber: 102 });
      await w.store.audit.append(handed.run.id, [{ type: "run.queued", data: {} }]);
      await w.store.runs.finish(handed.run.id, "succeeded", "answered");
      const later = await w.store.runs.enqueueFollowUp({ ...w.newRun(102), pullNumber: 102 });
      await w.store.audit.append(later.run.id, [{ type: "review.round", data: {} }]);
      expect((await w.store.audit.events(later.run.id)).map((e) => e.run)).toEqual([
        handed.run.id,
        handed.run.id,
      ]);
    });

    it("holds a round until its triggers have been quiet, for at most the longest wait", async () => {
      const quiet = { quietMs: 3_000, maxWaitMs: 10_000 };
      const on101 = () =>
        w.store.runs.enqueueFollowUp({ ...w.newRun(101), pullNumber: 101 }, quiet);
      const first = await on101();
      expect(first.status).toBe("started");
      // Each trigger of the review pushes the start out: none is claimable until they are quiet.
      for (let i = 0; i < 3; i++) {
        w.tick(2_000);
        expect(await on101()).toMatchObject({ status: "joined", run: { id: first.run.id } });
        expect(await w.store.leases.claimNext("w", LEASE)).toBeUndefined();
      }
      w.tick(2_999);
      expect(await w.store.leases.claimNext("w", LEASE)).toBeUndefined();
      w.tick(1);
      expect((await w.store.leases.claimNext("w", LEASE))?.id).toBe(first.run.id);
      expect(await w.store.runs.triggers(first.run.id)).toHaveLength(4);

      // Behind that round, the next waits the same way; a stream of triggers holds it no longer
      // than the longest wait from the first.
      const waiting = await on101();
      expect(waiting.status).toBe("queued");
      await w.store.runs.finish(first.run.id, "succeeded", "answered");
      const queuedAt = w.now.getTime();
      for (let i = 0; i < 3; i++) {
        w.tick(2_500);
        expect(await on101()).toMatchObject({ status: "joined", run: { id: waiting.run.id } });
      }
      // Quiet would say 3 s after the last trigger; the longest wait, 10 s after the first, is sooner.
      expect((await w.store.runs.mustGet(waiting.run.id)).notBefore).toBe(
        new Date(queuedAt + 10_000).toISOString(),
      );
      w.tick(2_499);
      expect(await w.store.leases.claimNext("w", LEASE)).toBeUndefined();
      w.tick(1);
      expect((await w.store.leases.claimNext("w", LEASE))?.id).toBe(waiting.run.id);
    });

    it("starts a trigger on a pull request with no active run at once", async () => {
      const result = await w.store.runs.enqueueFollowUp({ ...w.newRun(101), pullNumber: 101 });
      expect(result.status).toBe("started");
      expect((await w.store.leases.claimNext("w", LEASE))?.id).toBe(result.run.id);
    });
  });
}
