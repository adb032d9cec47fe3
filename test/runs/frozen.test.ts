// While the harness runs git on the worktree, the run's own processes are
// frozen (src/runs/frozen.ts): a background job of the agent's shell that
// writes a counter in the worktree never moves it between the freeze and the
// thaw around a step checkpoint or a commit, and moves it again after.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { attemptRoot } from "../../src/runs/run-directories.ts";
import type { Sandbox } from "../../src/sandbox/sandbox.ts";
import { createSandbox } from "../../src/sandbox/sandbox.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { startHarness, type Harness } from "../support/run-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ "a.txt": "one\n" }, { sandbox: "bubblewrap" });
});
afterEach(() => h.close());

describe("the harness's git on the worktree", () => {
  it("runs while the run's background job is frozen", async () => {
    const real = createSandbox({ kind: "bubblewrap" });
    let counter = "";
    const read = () => (existsSync(counter) ? readFileSync(counter, "utf8").trim() : "");
    const spans: Array<{ group: string; at: string; after: string }> = [];
    // The real sandbox; its freeze also notes the counter at the freeze and at the thaw.
    const watching: Sandbox = {
      ...real,
      run: (req) => real.run(req),
      launch: (req) => real.launch(req),
      collectOutput: (dir) => real.collectOutput(dir),
      releaseGroup: (group) => real.releaseGroup(group),
      async freeze(group) {
        const thaw = await real.freeze(group);
        const at = read();
        return async () => {
          spans.push({ group, at, after: read() });
          await thaw();
        };
      },
    };
    await h.model([
      reply(
        toolUse("bash", {
          command:
            "(i=0; while :; do i=$((i+1)); echo $i > counter.new; mv counter.new counter; done) & sleep 0.5; echo started",
        }),
      ),
      reply(editFile("a.txt", "one", "two")),
      reply(toolUse("checkpoint", { message: "Make it two" })),
      reply(toolUse("bash", { command: "sleep 0.3; rm -f counter counter.new; echo ok" })),
      reply(text("Changed a.txt.")),
      reply(text("a.txt says two now.")),
    ]);
    await h.queue({});
    const claimed = await h.claim();
    const root = attemptRoot(join(h.dir, "data"), claimed.id, claimed.attempts);
    counter = join(root, "worktree", "counter");
    const run = await h.execute(claimed, {}, { sandbox: watching });
    expect(run.state).toBe("succeeded");
    // A step checkpoint after each step, and the checkpoint tool's commit, each frozen.
    const whileRunning = spans.filter((s) => s.at !== "");
    expect(whileRunning.length).toBeGreaterThanOrEqual(3);
    expect(spans.every((s) => s.group === run.id)).toBe(true);
    for (const span of whileRunning) expect(span.after).toBe(span.at);
    // And the job went on between them: the counter moved from one freeze to the next.
    const seen = new Set(whileRunning.map((s) => s.at));
    expect(seen.size).toBeGreaterThan(1);
  });
});
