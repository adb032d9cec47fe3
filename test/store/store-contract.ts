// The store contract: what every engine behind the Store must do, run against
// real SQLite (store.sqlite.test.ts) and the real PostgreSQL
// (store.postgres.test.ts). One active run per issue and pull request, claims
// that never hand a run out twice, leases, caps, retries, pauses, cancels,
// checkpoints, an audit chain that stays gapless, installations, and each
// repository's memory, whose concurrent edits lose nothing.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyChain } from "../../src/audit/verify.ts";
import { createRedactor } from "../../src/observability/redact.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";
import { LeaseLost } from "../../src/store/leases.ts";
import type { Store } from "../../src/store/store.ts";
import type { CheckpointInput, NewRun } from "../../src/store/types.ts";

/** Opens a store on the engine's database; every call of one test reaches the same data. */
export interface StoreFactory {
  /** A fresh, empty database for one test. */
  create(): Promise<void>;
  open(options: { clock: () => Date; redactor: ReturnType<typeof createRedactor> }): Promise<Store>;
  destroy(): Promise<void>;
  /**
   * Whether a second connection may run beside the first in this process. SQLite's lock wait
   * blocks the thread, so two connections in one thread would wait on each other; its
   * cross-process behaviour is held by the tests that run several processes.
   */
  concurrentConnections: boolean;
}

const LEASE = 60_000;

export function storeContract(engine: string, factory: StoreFactory): void {
  describe(`the store on ${engine}`, () => {
    let now: Date;
    let store: Store;
    const opened: Store[] = [];
    const open = async () => {
      const s = await factory.open({
        clock: () => now,
        redactor: createRedactor(["super-secret-value"]),
      });
      opened.push(s);
      return s;
    };

    beforeEach(async () => {
      now = new Date("2026-11-21T10:00:00Z");
      await factory.create();
      store = await open();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await factory.destroy();
    });

    const tick = (ms: number) => {
      now = new Date(now.getTime() + ms);
    };

    let deliveries = 0;
    const newRun = (issueNumber = 1, installationId = 7): NewRun => ({
      installationId,
      owner: "octo",
      repo: "demo",
      issueNumber,
      issueTitle: "Fix it",
      issueBody: "Please",
      requestedBy: "maintainer",
      deliveryId: `d-${issueNumber}-${++deliveries}`,
      config: parseRepoConfig({}),
    });
    const created = async (input: NewRun) => {
      const result = await store.runs.create(input);
      if (!result.created) throw new Error("expected a new run");
      tick(1); // runs are claimed oldest first
      return result.run;
    };

    describe("runs", () => {
      it("keeps one active run per issue, and frees the slot when the run ends", async () => {
        const first = await created(newRun());
        const second = await store.runs.create(newRun());
        expect(second).toMatchObject({ created: false, active: { id: first.id } });
        expect((await store.runs.create(newRun(2))).created).toBe(true);
        await store.runs.finish(first.id, "succeeded", "done");
        expect((await store.runs.create(newRun())).created).toBe(true);
      });

      it("gives a queued run to one worker only", async () => {
        await created(newRun());
        const a = await store.leases.claimNext("worker-a", LEASE);
        const b = await store.leases.claimNext("worker-b", LEASE);
        expect(a).toMatchObject({ leaseOwner: "worker-a", state: "preparing", attempts: 1 });
        expect(b).toBeUndefined();
      });

      it("hands a run whose lease expired to another worker; the first loses its heartbeat", async () => {
        const run = await created(newRun());
        await store.leases.claimNext("worker-a", LEASE);
        await store.runs.update(run.id, { state: "running" });
        tick(30_000);
        expect(await store.leases.claimNext("worker-b", LEASE)).toBeUndefined();
        tick(31_000);
        const b = await store.leases.claimNext("worker-b", LEASE);
        expect(b).toMatchObject({ id: run.id, attempts: 2, state: "running" });
        expect(await store.leases.heartbeat(run.id, "worker-a", LEASE)).toBe(false);
        expect(await store.leases.heartbeat(run.id, "worker-b", LEASE)).toBe(true);
      });

      it("never hands one run to two of many workers claiming at once", async () => {
        for (let i = 1; i <= 12; i++) await created(newRun(i));
        const stores = factory.concurrentConnections
          ? [store, await open(), await open()]
          : [store];
        const claims = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            stores[i % stores.length]!.leases.claimNext(`worker-${i}`, LEASE),
          ),
        );
        const ids = claims.filter((c) => c !== undefined).map((c) => c.id);
        expect(ids).toHaveLength(12);
        expect(new Set(ids).size).toBe(12);
      });

      it("holds the global cap and the per-installation cap, counting only live leases", async () => {
        for (let i = 1; i <= 4; i++) await created(newRun(i, 1));
        for (let i = 11; i <= 12; i++) await created(newRun(i, 2));
        const limits = { global: 3, perInstallation: 2 };
        const a = await store.leases.claimNext("w", LEASE, limits);
        const b = await store.leases.claimNext("w", LEASE, limits);
        const c = await store.leases.claimNext("w", LEASE, limits);
        expect([a?.installationId, b?.installationId, c?.installationId]).toEqual([1, 1, 2]);
        expect(await store.leases.claimNext("w", LEASE, limits)).toBeUndefined();
        await store.runs.finish(c!.id, "succeeded", "done");
        // Installation 1 is full; installation 2's next run starts.
        expect((await store.leases.claimNext("w", LEASE, limits))?.installationId).toBe(2);
        // A dead worker's expired lease no longer takes a slot: its run is claimed again.
        tick(LEASE + 1);
        const again = await store.leases.claimNext("w2", LEASE, limits);
        expect(again?.id).toBe(a!.id);
      });

      it("holds a new run until its tracking comment is stored, or the hold ends", async () => {
        const a = await store.runs.create(newRun(1), { holdMs: 60_000 });
        const b = await store.runs.create(newRun(2), { holdMs: 60_000 });
        if (!a.created || !b.created) throw new Error("unreachable");
        expect(await store.leases.claimNext("w", LEASE)).toBeUndefined();
        expect(await store.runs.setTrackingComment(a.run.id, 11)).toBe(true);
        expect(await store.runs.setTrackingComment(a.run.id, 12)).toBe(false);
        expect(await store.leases.claimNext("w", LEASE)).toMatchObject({
          id: a.run.id,
          trackingCommentId: 11,
        });
        expect(await store.leases.claimNext("w", LEASE)).toBeUndefined();
        tick(60_000);
        expect((await store.leases.claimNext("w", LEASE))?.id).toBe(b.run.id);
      });

      it("holds a released run until its retry time, and counts the retry", async () => {
        const run = await created(newRun());
        await store.leases.claimNext("w", LEASE);
        const later = new Date(now.getTime() + 120_000);
        expect(await store.leases.release(run.id, "w", { notBefore: later, retry: true })).toBe(
          true,
        );
        expect(await store.leases.release(run.id, "w")).toBe(false);
        tick(119_000);
        expect(await store.leases.claimNext("w", LEASE)).toBeUndefined();
        tick(1_000);
        expect(await store.leases.claimNext("w", LEASE)).toMatchObject({
          id: run.id,
          retries: 1,
          attempts: 2,
          notBefore: null,
        });
      });

      it("leaves a paused run alone, across a restart, until it is answered", async () => {
        const run = await created(newRun());
        await store.leases.claimNext("w", LEASE);
        expect(await store.pauses.pause(run.id, "w", "awaiting_reply")).toBe(true);
        tick(10 * LEASE);
        expect(await store.leases.claimNext("w", LEASE)).toBeUndefined();
        await store.close();
        opened.splice(opened.indexOf(store), 1);
        store = await open();
        expect(await store.runs.get(run.id)).toMatchObject({
          state: "awaiting_reply",
          leaseOwner: null,
        });
        expect(await store.leases.claimNext("w", LEASE)).toBeUndefined();
        expect(await store.pauses.answer(run.id)).toBe(true);
        expect(await store.leases.claimNext("w", LEASE)).toMatchObject({ id: run.id });
      });

      it("keeps the answer to a pause with the step it answers, and takes one answer only", async () => {
        const run = await created(newRun());
        await store.leases.claimNext("w", LEASE);
        await store.pauses.pause(run.id, "w", "awaiting_reply");
        const answer = { deliveryId: "reply-1", by: "maintainer", text: "Leave the docs alone." };
        expect(await store.pauses.answer(run.id, answer)).toBe(true);
        expect(
          await store.pauses.answer(run.id, { ...answer, deliveryId: "reply-2", text: "Late." }),
        ).toBe(false);
        expect(await store.pauses.pendingAnswer(run.id, 0)).toEqual({
          by: "maintainer",
          text: "Leave the docs alone.",
        });
        // Once a later step is checkpointed, the answer is in the transcript: nothing is pending.
        expect(await store.pauses.pendingAnswer(run.id, 1)).toBeUndefined();
      });

      it("lists the runs that have waited for a person since before a time, oldest first", async () => {
        const question = await created(newRun(1));
        const approval = await created(newRun(2));
        const working = await created(newRun(3));
        for (const id of [question.id, approval.id, working.id]) {
          expect((await store.leases.claimNext("w", LEASE))?.id).toBe(id);
        }
        await store.pauses.pause(question.id, "w", "awaiting_reply");
        tick(60_000);
        await store.pauses.pause(approval.id, "w", "awaiting_approval");
        tick(60_000);
        const ids = async (cutoff: Date) =>
          (await store.pauses.waitingSince(cutoff)).map((r) => r.id);
        expect(await ids(new Date(now.getTime() - 90_000))).toEqual([question.id]);
        expect(await ids(now)).toEqual([question.id, approval.id]);
        // Answered, it waits no more.
        await store.pauses.answer(question.id);
        expect(await ids(now)).toEqual([approval.id]);
      });

      it("does not claim runs of a suspended installation until it is unsuspended", async () => {
        const run = await created(newRun(1, 5));
        await store.installations.setSuspended(5, "octo", "octo-admin");
        expect(await store.leases.claimNext("w", LEASE)).toBeUndefined();
        expect(await store.installations.isSuspended(5)).toBe(true);
        await store.installations.setSuspended(5, "octo", null);
        expect(await store.leases.claimNext("w", LEASE)).toMatchObject({ id: run.id });
      });
    });

    describe("pull requests", () => {
      it("queues a later trigger as the follow-up of the active run, batches the next, and starts it when the first ends", async () => {
        const issueRun = await created(newRun(5));
        await store.runs.update(issueRun.id, { pullNumber: 101 });
        const followUp = { ...newRun(101), pullNumber: 101 };
        const first = await store.runs.enqueueFollowUp(followUp);
        expect(first).toMatchObject({ status: "queued", behind: { id: issueRun.id } });
        const second = await store.runs.enqueueFollowUp({ ...newRun(101), pullNumber: 101 });
        expect(second).toMatchObject({ status: "batched", run: { id: first.run.id } });
        expect((await store.runs.triggers(first.run.id)).map((t) => t.deliveryId)).toHaveLength(2);

        // Waiting: not claimable, while the issue run is.
        expect((await store.leases.claimNext("w", LEASE))?.id).toBe(issueRun.id);
        expect(await store.leases.claimNext("w", LEASE)).toBeUndefined();
        expect((await store.runs.activeOn("octo", "demo", 101))?.id).toBe(issueRun.id);

        await store.runs.finish(issueRun.id, "succeeded", "done");
        expect((await store.runs.activeOn("octo", "demo", 101))?.id).toBe(first.run.id);
        expect(await store.leases.claimNext("w", LEASE)).toMatchObject({
          id: first.run.id,
          kind: "follow_up",
          issueNumber: 101,
        });
        const third = await store.runs.enqueueFollowUp({ ...newRun(101), pullNumber: 101 });
        expect(third).toMatchObject({ status: "queued", behind: { id: first.run.id } });
      });

      it("keeps the ids of the run's check runs on GitHub, so a resumed run edits them", async () => {
        const run = await created(newRun());
        expect(run).toMatchObject({ checkRun: null, auditCheckRuns: null });
        // Check run ids on GitHub pass 2^31: the column must hold them.
        const big = 30_000_000_123;
        await store.runs.update(run.id, {
          checkRun: { id: big, sha: "b".repeat(40) },
          auditCheckRuns: { sha: "c".repeat(40), ids: [big + 1, big + 2] },
        });
        const reopened = await open();
        expect(await reopened.runs.mustGet(run.id)).toMatchObject({
          checkRun: { id: big, sha: "b".repeat(40) },
          auditCheckRuns: { sha: "c".repeat(40), ids: [big + 1, big + 2] },
        });
        await store.runs.update(run.id, { checkRun: null });
        expect((await store.runs.mustGet(run.id)).checkRun).toBeNull();
      });

      it("joins later triggers to a follow-up no worker has started, so one review makes one run", async () => {
        const first = await store.runs.enqueueFollowUp({ ...newRun(101), pullNumber: 101 });
        const second = await store.runs.enqueueFollowUp({ ...newRun(101), pullNumber: 101 });
        const third = await store.runs.enqueueFollowUp({ ...newRun(101), pullNumber: 101 });
        expect(first.status).toBe("started");
        expect([second.status, third.status]).toEqual(["joined", "joined"]);
        expect([second.run.id, third.run.id]).toEqual([first.run.id, first.run.id]);
        expect(await store.runs.triggers(first.run.id)).toHaveLength(3);
        expect((await store.leases.claimNext("w", LEASE))?.id).toBe(first.run.id);
        expect(await store.leases.claimNext("w", LEASE)).toBeUndefined();
        // Once a worker has it, the next trigger waits for the next round.
        const fourth = await store.runs.enqueueFollowUp({ ...newRun(101), pullNumber: 101 });
        expect(fourth).toMatchObject({ status: "queued", behind: { id: first.run.id } });
      });

      it("knows the pull requests Stamina works on: opened by a run, or handed over with a follow-up", async () => {
        const issueRun = await created(newRun(5));
        expect(await store.pulls.isStaminas("octo", "demo", 101)).toBe(false);
        await store.runs.update(issueRun.id, { pullNumber: 101 });
        await store.runs.finish(issueRun.id, "succeeded", "done");
        expect(await store.pulls.isStaminas("Octo", "Demo", 101)).toBe(true);
        expect(await store.pulls.isStaminas("octo", "demo", 102)).toBe(false);
        expect(await store.pulls.isStaminas("octo", "other", 101)).toBe(false);
        await store.runs.enqueueFollowUp({ ...newRun(102), pullNumber: 102 });
        expect(await store.pulls.isStaminas("octo", "demo", 102)).toBe(true);
        // An issue with that number is not a pull request of Stamina's.
        await created(newRun(103));
        expect(await store.pulls.isStaminas("octo", "demo", 103)).toBe(false);
      });

      it("writes every round on a pull request into the chain of the run that opened it", async () => {
        const issueRun = await created(newRun(5));
        await store.audit.append(issueRun.id, [{ type: "run.claimed", data: {} }]);
        await store.runs.update(issueRun.id, { pullNumber: 101 });
        await store.runs.finish(issueRun.id, "succeeded", "done");
        const first = await store.runs.enqueueFollowUp({ ...newRun(101), pullNumber: 101 });
        const claimed = await store.leases.claimNext("w", LEASE);
        expect(claimed?.id).toBe(first.run.id);
        await store.audit.append(first.run.id, [{ type: "review.round", data: {} }], "w");
        await expect(
          store.audit.append(first.run.id, [{ type: "x", data: {} }], "someone-else"),
        ).rejects.toBeInstanceOf(LeaseLost);
        await store.runs.finish(first.run.id, "succeeded", "answered");
        const second = await store.runs.enqueueFollowUp({ ...newRun(101), pullNumber: 101 });
        await store.audit.append(second.run.id, [{ type: "review.round", data: {} }]);

        const events = await store.audit.events(second.run.id);
        expect(events.map((e) => e.type)).toEqual(["run.claimed", "review.round", "review.round"]);
        expect(verifyChain(events)).toMatchObject({ ok: true, count: 3 });
        expect(new Set(events.map((e) => e.run))).toEqual(new Set([issueRun.id]));
        expect(await store.audit.events(issueRun.id)).toEqual(events);
        expect(await store.audit.head(first.run.id)).toBe(events[2]!.hash);
        // A pull request handed over: the first round starts the chain the later ones join.
        const handed = await store.runs.enqueueFollowUp({ ...newRun(102), pullNumber: 102 });
        await store.audit.append(handed.run.id, [{ type: "run.queued", data: {} }]);
        await store.runs.finish(handed.run.id, "succeeded", "answered");
        const later = await store.runs.enqueueFollowUp({ ...newRun(102), pullNumber: 102 });
        await store.audit.append(later.run.id, [{ type: "review.round", data: {} }]);
        expect((await store.audit.events(later.run.id)).map((e) => e.run)).toEqual([
          handed.run.id,
          handed.run.id,
        ]);
      });

      it("starts a trigger on a pull request with no active run at once", async () => {
        const result = await store.runs.enqueueFollowUp({ ...newRun(101), pullNumber: 101 });
        expect(result.status).toBe("started");
        expect((await store.leases.claimNext("w", LEASE))?.id).toBe(result.run.id);
      });
    });

    describe("cancelling", () => {
      it("ends a run no worker started at once, and flags a held one for its worker", async () => {
        const queued = await created(newRun(1));
        const held = await created(newRun(2));
        await store.leases.claimNext("w", LEASE); // claims issue 1 first
        const r1 = await store.cancels.request(queued.id, "@a", "removed the label");
        // Issue 1 was claimed: its worker has to push the work so far.
        expect(r1.outcome).toBe("requested");
        expect((await store.cancels.requested("w")).map((r) => r.id)).toEqual([queued.id]);
        const r2 = await store.cancels.request(held.id, "@b", "/stamina stop");
        expect(r2).toMatchObject({ outcome: "cancelled", run: { state: "cancelled" } });
        expect((await store.runs.create(newRun(2))).created).toBe(true);
        const r3 = await store.cancels.request(held.id, "@b", "/stamina stop");
        expect(r3.outcome).toBe("finished");
      });

      it("ends at once, when asked to, any run no live worker holds", async () => {
        const paused = await created(newRun(1));
        const held = await created(newRun(2));
        await store.leases.claimNext("w", LEASE);
        await store.pauses.pause(paused.id, "w", "awaiting_reply");
        await store.leases.claimNext("w", LEASE);
        const stop = { unlessHeld: true };
        expect((await store.cancels.request(paused.id, "@a", "suspended", stop)).outcome).toBe(
          "cancelled",
        );
        expect((await store.cancels.request(held.id, "@a", "suspended", stop)).outcome).toBe(
          "requested",
        );
      });

      it("sends a paused run with work back to the queue for a worker to push and end", async () => {
        const run = await created(newRun());
        await store.leases.claimNext("w", LEASE);
        await store.pauses.pause(run.id, "w", "awaiting_approval");
        const result = await store.cancels.request(run.id, "@a", "/stamina stop");
        expect(result).toMatchObject({
          outcome: "requested",
          run: { state: "queued", cancelRequestedBy: "@a", cancelReason: "/stamina stop" },
        });
        expect((await store.leases.claimNext("w2", LEASE))?.id).toBe(run.id);
      });
    });

    describe("checkpoints", () => {
      const checkpoint = (step: number, text: string, diff: Buffer): CheckpointInput => ({
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
        const run = await created(newRun());
        await store.leases.claimNext("w", LEASE);
        expect(await store.checkpoints.load(run.id)).toBeUndefined();
        await store.checkpoints.save(run.id, "w", checkpoint(1, "one", Buffer.from("diff 1")));
        const binary = Buffer.from([0, 255, 1, 254, 10, 13, 0x80]);
        await store.checkpoints.save(run.id, "w", checkpoint(2, "two", binary));
        const loaded = await store.checkpoints.load(run.id);
        expect(loaded?.step).toBe(2);
        expect(loaded?.messages).toHaveLength(4);
        expect(loaded?.messages[2]).toEqual(checkpoint(2, "two", binary).added[0]);
        expect(loaded?.state.usage.inputTokens).toBe(2);
        expect(loaded?.diff.equals(binary)).toBe(true);
        expect((await store.runs.get(run.id))?.stepsUsed).toBe(2);
      });

      it("keeps whether a run is dry and which run it continues", async () => {
        const dry = await created({ ...newRun(), dryRun: true });
        expect(dry).toMatchObject({ dryRun: true, continues: null });
        expect((await created(newRun(2))).dryRun).toBe(false);
      });

      describe("a retry", () => {
        const failedRun = async (pushed: string | null) => {
          const run = await created(newRun());
          await store.leases.claimNext("w", LEASE);
          await store.runs.update(run.id, { branch: "stamina/1-fix-it", baseSha: "a".repeat(40) });
          await store.checkpoints.save(run.id, "w", checkpoint(1, "one", Buffer.from("diff 1")));
          await store.checkpoints.save(run.id, "w", checkpoint(2, "two", Buffer.from("diff 2")));
          await store.runs.update(run.id, {
            pullNumber: 101,
            pullUrl: "https://github.test/octo/demo/pull/101",
            ...(pushed ? { headSha: pushed } : {}),
          });
          return store.runs.finish(run.id, "failed", "the build broke");
        };

        it("continues the last run: its branch, pull request, transcript, state and diff", async () => {
          const from = await failedRun(null);
          expect((await store.retries.lastOn("octo", "demo", 1))?.id).toBe(from.id);
          const config = parseRepoConfig({ budget: { steps: 9 } });
          const result = await store.retries.create(from, { ...newRun(), config });
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
          expect((await store.retries.lastOn("octo", "demo", 1))?.id).toBe(run.id);
          const loaded = await store.checkpoints.load(run.id);
          expect(loaded?.step).toBe(2);
          expect(loaded?.messages).toEqual((await store.checkpoints.load(from.id))?.messages);
          expect(loaded?.diff.toString()).toBe("diff 2");
          // It holds the pull request: a trigger there waits for it.
          expect((await store.runs.activeOn("octo", "demo", 101))?.id).toBe(run.id);
          // One active run per issue, retries included.
          expect((await store.retries.create(from, newRun())).created).toBe(false);
          // The earlier run is untouched.
          expect(await store.runs.get(from.id)).toMatchObject({ state: "failed", stepsUsed: 2 });
        });

        it("starts from the head pushed after the checkpoint, with no diff to apply", async () => {
          const from = await failedRun("b".repeat(40));
          const result = await store.retries.create(from, newRun());
          if (!result.created) throw new Error("expected a new run");
          const loaded = await store.checkpoints.load(result.run.id);
          expect(loaded).toMatchObject({ step: 2, baseSha: "b".repeat(40) });
          expect(loaded?.diff.length).toBe(0);
          expect(result.run.headSha).toBe("b".repeat(40));
        });
      });

      it("refuses a checkpoint from a worker that lost the lease", async () => {
        const run = await created(newRun());
        await store.leases.claimNext("w", LEASE);
        await store.runs.update(run.id, { state: "running" });
        tick(LEASE + 1);
        await store.leases.claimNext("w2", LEASE);
        await expect(
          store.checkpoints.save(run.id, "w", checkpoint(1, "late", Buffer.alloc(0))),
        ).rejects.toBeInstanceOf(LeaseLost);
        await expect(
          store.audit.append(run.id, [{ type: "late", data: {} }], "w"),
        ).rejects.toBeInstanceOf(LeaseLost);
        expect(await store.checkpoints.load(run.id)).toBeUndefined();
        expect(await store.audit.events(run.id)).toHaveLength(0);
      });
    });

    describe("deliveries", () => {
      it("reports a redelivered id as a duplicate, however many arrive at once", async () => {
        const d = {
          id: "abc",
          event: "issues",
          action: "labeled",
          installationId: 1,
          payload: "{}",
        };
        const results = await Promise.all(
          Array.from({ length: 10 }, () => store.deliveries.record(d)),
        );
        expect(results.filter((r) => r === "new")).toHaveLength(1);
        expect(await store.deliveries.unhandled()).toHaveLength(1);
        await store.deliveries.markHandled("abc", "ok");
        expect(await store.deliveries.unhandled()).toHaveLength(0);
        expect(await store.deliveries.outcome("abc")).toBe("ok");
      });
    });

    describe("audit events", () => {
      it("chain in order across appends, verify, and are redacted before hashing", async () => {
        const run = await created(newRun());
        await store.audit.append(run.id, [{ type: "a", data: { n: 1 } }]);
        await store.audit.append(run.id, [
          { type: "b", data: { output: "token super-secret-value here" } },
          {
            type: "c",
            data: { auth: "Authorization: Bearer ghs_abcdefghijklmnopqrstuvwxyz0123456789" },
          },
        ]);
        const events = await store.audit.events(run.id);
        expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
        expect(verifyChain(events)).toMatchObject({ ok: true, count: 3, head: events[2]!.hash });
        expect(await store.audit.head(run.id)).toBe(events[2]!.hash);
        const text = JSON.stringify(events);
        expect(text).not.toContain("super-secret-value");
        expect(text).not.toContain("ghs_abcdefghijklmnopqrstuvwxyz0123456789");
      });

      it("stays gapless when two writers append to one run at once", async () => {
        const run = await created(newRun());
        const other = factory.concurrentConnections ? await open() : store;
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 === 0 ? store : other).audit.append(run.id, [{ type: `e${i}`, data: {} }]),
          ),
        );
        const events = await store.audit.events(run.id);
        expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect(verifyChain(events).ok).toBe(true);
      });
    });

    describe("memory", () => {
      const put = (path: string, content: string) => () => ({
        result: "ok",
        change: { put: [{ path, content }], remove: [] },
      });
      /** An edit that appends a line to a file, as the memory tool's insert does. */
      const appendLine =
        (line: string) => (files: readonly { path: string; content: string }[]) => {
          const log = files.find((f) => f.path === "/memories/log.md");
          const content = log ? `${log.content}\n${line}` : line;
          return {
            result: line,
            change: { put: [{ path: "/memories/log.md", content }], remove: [] },
          };
        };

      it("keeps one memory per repository, whatever the case of its name, until cleared", async () => {
        await store.memory.edit("Octo/Demo", put("/memories/b.md", "build with make"), "run-1");
        await store.memory.edit("octo/demo", put("/memories/a.md", "tests in t/"), "run-2");
        await store.memory.edit("octo/other", put("/memories/a.md", "other notes"));
        expect(await store.memory.files("OCTO/demo")).toEqual([
          { path: "/memories/a.md", content: "tests in t/" },
          { path: "/memories/b.md", content: "build with make" },
        ]);
        const described = await store.memory.described("octo/demo");
        expect(described.map((f) => f.updatedBy)).toEqual(["run-2", "run-1"]);
        await store.memory.edit("octo/demo", () => ({
          result: null,
          change: {
            put: [{ path: "/memories/b.md", content: "build with make -j" }],
            remove: ["/memories/a.md"],
          },
        }));
        expect(await store.memory.files("octo/demo")).toEqual([
          { path: "/memories/b.md", content: "build with make -j" },
        ]);
        expect(await store.memory.clear("octo/demo")).toBe(1);
        expect(await store.memory.files("octo/demo")).toEqual([]);
        expect(await store.memory.files("octo/other")).toHaveLength(1);
      });

      it("takes no edit from a worker that lost the run's lease", async () => {
        const run = await created(newRun());
        await store.leases.claimNext("w1", LEASE);
        await store.memory.port("octo/demo", run.id, "w1").edit(put("/memories/a.md", "mine"));
        tick(LEASE + 1);
        await store.leases.claimNext("w2", LEASE);
        await expect(
          store.memory.port("octo/demo", run.id, "w1").edit(put("/memories/a.md", "stale")),
        ).rejects.toBeInstanceOf(LeaseLost);
        expect(await store.memory.files("octo/demo")).toEqual([
          { path: "/memories/a.md", content: "mine" },
        ]);
      });

      it("writes nothing of an edit that throws", async () => {
        await store.memory.edit("octo/demo", put("/memories/a.md", "kept"));
        await expect(
          store.memory.edit("octo/demo", () => {
            throw new Error("refused");
          }),
        ).rejects.toThrow("refused");
        expect(await store.memory.files("octo/demo")).toEqual([
          { path: "/memories/a.md", content: "kept" },
        ]);
      });

      it("loses no write when two writers edit one repository's memory at once", async () => {
        const other = factory.concurrentConnections ? await open() : store;
        const lines = Array.from({ length: 24 }, (_, i) => `note ${i}`);
        await Promise.all(
          lines.map((line, i) =>
            (i % 2 === 0 ? store : other).memory.edit("octo/demo", appendLine(line)),
          ),
        );
        const [log] = await store.memory.files("octo/demo");
        expect(log?.content.split("\n").sort()).toEqual([...lines].sort());
      });
    });

    describe("approvals", () => {
      const waiting = async (issueNumber: number) => {
        const run = await created(newRun(issueNumber));
        await store.leases.claimNext("w", LEASE);
        return run;
      };
      const ask = (runId: string, data: Record<string, unknown>) =>
        store.audit.append(runId, [{ type: "approval.requested", data }], "w");

      it("records a decision only while the run awaits approval, tied to the request it answers", async () => {
        const run = await waiting(1);
        await ask(run.id, { source: "approval", reason: "ci.yml", fingerprint: "f1" });
        // Still running: nothing to decide, nothing changes.
        expect(
          await store.approvals.decide(run.id, { deliveryId: "a0", by: "m", granted: true }),
        ).toBeUndefined();
        await store.pauses.pause(run.id, "w", "awaiting_approval");
        // A reply is no answer to an approval.
        expect(await store.pauses.pendingAnswer(run.id, 0)).toBeUndefined();
        const decided = await store.approvals.decide(run.id, {
          deliveryId: "a1",
          by: "maintainer",
          granted: true,
        });
        expect(decided).toMatchObject({
          by: "maintainer",
          granted: true,
          request: { source: "approval", fingerprint: "f1", reason: "ci.yml" },
        });
        expect((await store.runs.mustGet(run.id)).state).toBe("queued");
        // Queued again: a second answer finds nothing to answer.
        expect(
          await store.approvals.decide(run.id, { deliveryId: "a2", by: "m", granted: false }),
        ).toBeUndefined();
        expect(await store.approvals.decisionFor(run.id)).toMatchObject({
          by: "maintainer",
          granted: true,
        });
        expect([...(await store.approvals.granted(run.id))]).toEqual(["f1"]);
      });

      it("answers the latest request only: an earlier decision does not answer a new one", async () => {
        const run = await waiting(2);
        await ask(run.id, { source: "approval", reason: "ci.yml", fingerprint: "f1" });
        await store.pauses.pause(run.id, "w", "awaiting_approval");
        await store.approvals.decide(run.id, { deliveryId: "b1", by: "m", granted: false });
        await store.leases.claimNext("w", LEASE);
        await ask(run.id, { source: "budget", reason: "steps" });
        expect(await store.approvals.decisionFor(run.id)).toBeUndefined();
        await store.pauses.pause(run.id, "w", "awaiting_approval");
        tick(1);
        await store.approvals.decide(run.id, { deliveryId: "b2", by: "o", granted: true });
        expect(await store.approvals.decisionFor(run.id)).toMatchObject({
          by: "o",
          granted: true,
          request: { source: "budget" },
        });
        // A denied change is never let through; a budget extension has no fingerprint.
        expect(await store.approvals.granted(run.id)).toEqual(new Set());
      });
    });

    describe("installations", () => {
      const put = (path: string, content: string) => () => ({
        result: "ok",
        change: { put: [{ path, content }], remove: [] },
      });

      it("records repositories and purges everything of a deleted installation", async () => {
        await store.installations.record(9, "acme");
        await store.installations.addRepositories(9, ["acme/a", "acme/b"]);
        await store.installations.removeRepositories(9, ["acme/a"]);
        expect(await store.installations.repositories(9)).toEqual(["acme/b"]);
        const mine = await created(newRun(1, 9));
        const theirs = await created(newRun(2, 10));
        await store.audit.append(mine.id, [{ type: "a", data: {} }]);
        await store.deliveries.record({
          id: "d9",
          event: "issues",
          action: "labeled",
          installationId: 9,
          payload: "{}",
        });
        await store.memory.edit("Acme/b", put("/memories/a.md", "acme's notes"));
        await store.memory.edit("octo/demo", put("/memories/a.md", "octo's notes"));
        expect(await store.installations.purge(9)).toEqual([mine.id]);
        expect(await store.memory.files("acme/b")).toEqual([]);
        expect(await store.memory.files("octo/demo")).toHaveLength(1);
        expect(await store.runs.get(mine.id)).toBeUndefined();
        expect(await store.audit.events(mine.id)).toHaveLength(0);
        expect(await store.deliveries.outcome("d9")).toBeUndefined();
        expect(await store.installations.get(9)).toBeUndefined();
        expect(await store.runs.get(theirs.id)).toBeDefined();
      });
    });
  });
}
