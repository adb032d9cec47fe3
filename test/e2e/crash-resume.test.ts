// Crash and resume, on real processes: a webhook server and worker processes
// sharing one SQLite database, the fake GitHub and the scripted model. A
// worker is killed with SIGKILL while it waits for the model in step 2, the
// next one while a command of step 3 runs; a third finishes the run. The
// branch ends as an uninterrupted run's does, and the audit log verifies, with
// gapless sequence numbers and a `step.retried` event for each cut step.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../../src/audit/verify.ts";
import { startWorld, type World } from "../support/world.ts";

let world: World;
beforeAll(async () => {
  world = await startWorld();
  world.openGate(1);
}, 60_000);
afterAll(() => world.close());

describe("a worker killed with SIGKILL", () => {
  it("leaves its run to the next worker, which finishes it as if nothing happened", async () => {
    const serve = world.start("serve");
    const url = await serve.webhookUrl();
    const first = world.start("worker", { STAMINA_WORKER_ID: "worker-a" });
    await first.waitForLog(/worker started/, "worker a");

    // The uninterrupted run, for comparison.
    expect((await world.label(url, 1)).status).toBe(202);
    const uninterrupted = await world.pullFor(1);

    // Killed while it waits for the model's answer in step 2.
    let killed = false;
    world.onRequest = (issue, step) => {
      if (issue === 2 && step === 2 && !killed) {
        killed = true;
        first.child.kill("SIGKILL");
      }
    };
    expect((await world.label(url, 2)).status).toBe(202);
    expect(await first.exited).toBeNull();

    // The next worker takes the run when the lease runs out; killed while step 3's command runs.
    const second = world.start("worker", { STAMINA_WORKER_ID: "worker-b" });
    await world.stepThreeRunning(2);
    second.child.kill("SIGKILL");
    expect(await second.exited).toBeNull();
    world.openGate(2); // lets the orphaned command of worker b end

    world.start("worker", { STAMINA_WORKER_ID: "worker-c" });
    const resumed = await world.pullFor(2);
    expect(world.tree(resumed.head)).toBe(world.tree(uninterrupted.head));
    const greet = execFileSync(
      "git",
      ["--git-dir", world.bare, "show", `${resumed.head}:greet.js`],
      {
        encoding: "utf8",
      },
    );
    expect(greet).toContain("Hello, ${name}!");
    expect(resumed.body).toContain("✅ `grep -q 'Hello, ' greet.js` passed");

    expect(await world.finished(2)).toBe("succeeded");
    const events = await world.audit(2);
    expect(verifyChain(events)).toMatchObject({ ok: true });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const claims = events.filter((e) => e.type === "run.claimed").map((e) => e.data.worker);
    expect(claims).toEqual(["worker-a", "worker-b", "worker-c"]);
    const retried = events.filter((e) => e.type === "step.retried").map((e) => e.data.step);
    expect(retried).toEqual([2, 3]);
    // What the killed attempts recorded is kept: each cut step was asked for twice.
    const requests = (step: number) =>
      events.filter((e) => e.type === "model.request" && e.data.step === step).length;
    expect([1, 2, 3, 4, 5].map(requests)).toEqual([1, 2, 2, 1, 1]);
    expect(events.at(-1)?.type).toBe("run.finished");
  }, 120_000);
});
