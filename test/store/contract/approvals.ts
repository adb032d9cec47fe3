// The store contract, approvals: a decision only while the run awaits one, tied to the request it answers.
import { describe, expect, it } from "vitest";
import { LEASE, storeWorld, type StoreFactory } from "./world.ts";

export function approvalsContract(engine: string, factory: StoreFactory): void {
  describe(`approvals in the store on ${engine}`, () => {
    const w = storeWorld(factory);

    const waiting = async (issueNumber: number) => {
      const run = await w.created(w.newRun(issueNumber));
      await w.store.leases.claimNext("w", LEASE);
      return run;
    };
    const ask = (runId: string, data: Record<string, unknown>) =>
      w.store.audit.append(runId, [{ type: "approval.requested", data }], "w");

    it("records a decision only while the run awaits approval, tied to the request it answers", async () => {
      const run = await waiting(1);
      await ask(run.id, { source: "approval", reason: "ci.yml", fingerprint: "f1" });
      // Still running: nothing to decide, nothing changes.
      expect(
        await w.store.approvals.decide(run.id, { deliveryId: "a0", by: "m", granted: true }),
      ).toBeUndefined();
      await w.store.pauses.pause(run.id, "w", "awaiting_approval");
      // A reply is no answer to an approval.
      expect(await w.store.pauses.pendingAnswer(run.id, 0)).toBeUndefined();
      const decided = await w.store.approvals.decide(run.id, {
        deliveryId: "a1",
        by: "maintainer",
        granted: true,
      });
      expect(decided).toMatchObject({
        by: "maintainer",
        granted: true,
        request: { source: "approval", fingerprint: "f1", reason: "ci.yml" },
      });
      expect((await w.store.runs.mustGet(run.id)).state).toBe("queued");
      // Queued again: a second answer finds nothing to answer.
      expect(
        await w.store.approvals.decide(run.id, { deliveryId: "a2", by: "m", granted: false }),
      ).toBeUndefined();
      expect(await w.store.approvals.decisionFor(run.id)).toMatchObject({
        by: "maintainer",
        granted: true,
      });
      expect([...(await w.store.approvals.granted(run.id))]).toEqual(["f1"]);
    });

    it("answers the latest request only: an earlier decision does not answer a new one", async () => {
      const run = await waiting(2);
      await ask(run.id, { source: "approval", reason: "ci.yml", fingerprint: "f1" });
      await w.store.pauses.pause(run.id, "w", "awaiting_approval");
      await w.store.approvals.decide(run.id, { deliveryId: "b1", by: "m", granted: false });
      await w.store.leases.claimNext("w", LEASE);
      await ask(run.id, { source: "budget", reason: "steps" });
      expect(await w.store.approvals.decisionFor(run.id)).toBeUndefined();
      await w.store.pauses.pause(run.id, "w", "awaiting_approval");
      w.tick(1);
      await w.store.approvals.decide(run.id, { deliveryId: "b2", by: "o", granted: true });
      expect(await w.store.approvals.decisionFor(run.id)).toMatchObject({
        by: "o",
        granted: true,
        request: { source: "budget" },
      });
      // A denied change is never let through; a budget extension has no fingerprint.
      expect(await w.store.approvals.granted(run.id)).toEqual(new Set());
    });
  });
}
