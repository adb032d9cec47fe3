// The store contract, runs that wait for a person: left alone until answered (across a restart),
// the answer kept with the step it answers, and the runs that waited too long.
import { describe, expect, it } from "vitest";
import { LEASE, storeWorld, type StoreFactory } from "./world.ts";

export function pausesContract(engine: string, factory: StoreFactory): void {
  describe(`pauses and answers in the store on ${engine}`, () => {
    const w = storeWorld(factory);

    it("leaves a paused run alone, across a restart, until it is answered", async () => {
      const run = await w.created(w.newRun());
      await w.store.leases.claimNext("w", LEASE);
      expect(await w.store.pauses.pause(run.id, "w", "awaiting_reply")).toBe(true);
      w.tick(10 * LEASE);
      expect(await w.store.leases.claimNext("w", LEASE)).toBeUndefined();
      await w.reopen();
      expect(await w.store.runs.get(run.id)).toMatchObject({
        state: "awaiting_reply",
        leaseOwner: null,
      });
      expect(await w.store.leases.claimNext("w", LEASE)).toBeUndefined();
      expect(await w.store.pauses.answer(run.id)).toBe(true);
      expect(await w.store.leases.claimNext("w", LEASE)).toMatchObject({ id: run.id });
    });

    it("keeps the answer to a pause with the step it answers, and takes one answer only", async () => {
      const run = await w.created(w.newRun());
      await w.store.leases.claimNext("w", LEASE);
      await w.store.pauses.pause(run.id, "w", "awaiting_reply");
      const answer = { deliveryId: "reply-1", by: "maintainer", text: "Leave the docs alone." };
      expect(await w.store.pauses.answer(run.id, answer)).toBe(true);
      expect(
        await w.store.pauses.answer(run.id, { ...answer, deliveryId: "reply-2", text: "Late." }),
      ).toBe(false);
      expect(await w.store.pauses.pendingAnswer(run.id, 0)).toEqual({
        by: "maintainer",
        text: "Leave the docs alone.",
      });
      // Once a later step is checkpointed, the answer is in the transcript: nothing is pending.
      expect(await w.store.pauses.pendingAnswer(run.id, 1)).toBeUndefined();
    });

    it("lists the runs that have waited for a person since before a time, oldest first", async () => {
      const question = await w.created(w.newRun(1));
      const approval = await w.created(w.newRun(2));
      const working = await w.created(w.newRun(3));
      for (const id of [question.id, approval.id, working.id]) {
        expect((await w.store.leases.claimNext("w", LEASE))?.id).toBe(id);
      }
      await w.store.pauses.pause(question.id, "w", "awaiting_reply");
      w.tick(60_000);
      await w.store.pauses.pause(approval.id, "w", "awaiting_approval");
      w.tick(60_000);
      const ids = async (cutoff: Date) =>
        (await w.store.pauses.waitingSince(cutoff)).map((r) => r.id);
      expect(await ids(new Date(w.now.getTime() - 90_000))).toEqual([question.id]);
      expect(await ids(w.now)).toEqual([question.id, approval.id]);
      // Answered, it waits no more.
      await w.store.pauses.answer(question.id);
      expect(await ids(w.now)).toEqual([approval.id]);
    });
  });
}
