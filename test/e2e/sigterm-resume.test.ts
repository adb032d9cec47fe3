// SIGTERM during a run, on a real `stamina all` process: it stops claiming,
// lets the current step finish, checkpoints it, hands the run back and exits;
// started again, it resumes the run at the next step, and no step runs twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../../src/audit/verify.ts";
import { OWNER, REPO, startWorld, type World } from "../support/world.ts";

let world: World;
beforeAll(async () => {
  world = await startWorld();
}, 60_000);
afterAll(() => world.close());

describe("SIGTERM during a run", () => {
  it("finishes the current step, and the run resumes after a restart at the next step", async () => {
    const steps: number[] = [];
    world.onRequest = (_issue, step) => steps.push(step);
    const first = world.start("all");
    expect((await world.label(await first.webhookUrl(), 1)).status).toBe(202);
    await world.stepThreeRunning(1);

    first.child.kill("SIGTERM");
    await first.waitForLog(/shutting down/, "the shutdown to begin");
    world.openGate(1); // step 3's command ends now, during the shutdown
    expect(await first.exited).toBe(0);
    expect(await world.runRow(1)).toMatchObject({
      state: "queued",
      lease_owner: null,
      steps_used: 3,
    });
    expect(steps).toEqual([1, 2, 3]);
    // The issue says the run waits in the queue, not that it is still working.
    const [tracking] = world.github.issueComments(OWNER, REPO, 1);
    expect(tracking?.body).toContain("the run is queued and resumes from its last checkpoint");
    expect(tracking?.body).not.toContain("Stamina is working");

    const second = world.start("all");
    await second.webhookUrl();
    const pull = await world.pullFor(1);
    expect(pull.body).toContain("✅");
    expect(await world.finished(1)).toBe("succeeded");
    expect(steps).toEqual([1, 2, 3, 4, 5]);

    const events = await world.audit(1);
    expect(verifyChain(events)).toMatchObject({ ok: true });
    const types = events.map((e) => e.type);
    expect(types).not.toContain("step.retried");
    const released = events.find((e) => e.type === "run.released");
    expect(released?.data).toMatchObject({ reason: "the worker shut down" });
    const resumed = events.find((e) => e.type === "run.resumed");
    expect(resumed?.data).toMatchObject({ fromStep: 3 });
    expect(await second.stop()).toBe(0);
  }, 120_000);
});
