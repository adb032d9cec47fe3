// The checks on the base commit before the first edit, and what they change: a failure that
// was there already is named as such and offers "cannot fix"; a flaky check is run once more;
// the baseline is checkpointed with step 0, so a resumed run does not run it again. And the
// honest finish: an empty diff after a text-only turn is asked about once, then "no change".
// Real checks in the sandbox, real git, the real SDK against the scripted model.
import { afterEach, describe, expect, it } from "vitest";
import type { StepCheckpoint } from "../../src/agent/ports.ts";
import { DEFAULT_BUDGET } from "../../src/policy/config.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { agentFixture, lastMessageOf, type AgentFixture } from "./fixture.ts";

let fx: AgentFixture;

afterEach(async () => {
  await fx.close();
});

const edit = (path: string, from: string, to: string) => reply(editFile(path, from, to));

/** The task's check: a.txt must say two. */
const CHECK = 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n';
/** A lint that failed before anyone changed anything. */
const BROKEN_LINT = 'echo "style.css: 1 problem"; exit 2\n';
/** Passes its first run (the baseline), fails its second, passes after: a flaky test. */
const FLAKY = [
  'n=$(cat "$TMPDIR/flaky-runs" 2>/dev/null || echo 0)',
  "n=$((n + 1))",
  'echo "$n" > "$TMPDIR/flaky-runs"',
  'if [ "$n" -eq 2 ]; then echo "timing out on a slow socket"; exit 1; fi',
  "",
].join("\n");

const baselineRuns = () =>
  fx.events.filter((e) => e.type === "command" && e.data.purpose === "baseline");

describe("the baseline", () => {
  it("names a check that failed before the change, and stops on the same result twice", async () => {
    fx = agentFixture(
      { "a.txt": "one\n", "check.sh": CHECK, "lint.sh": BROKEN_LINT },
      { checks: { test: "sh check.sh", lint: "sh lint.sh" } },
    );
    const result = await fx.run(
      [
        edit("a.txt", "one", "two"),
        reply(text("a.txt says two.")),
        reply(text("Done: a.txt says two; the lint failure is not mine.")),
      ],
      { baseline: true },
    );
    // Run on the base commit before the first step: both failed there.
    const baseline = fx.events.find((e) => e.type === "verify.baseline");
    expect(baseline?.data).toMatchObject({ passed: false, failing: ["test", "lint"] });
    expect(fx.types().indexOf("verify.baseline")).toBeLessThan(fx.types().indexOf("model.request"));
    expect(baselineRuns().map((e) => e.data.check)).toEqual(["test", "lint"]);
    // The failure goes back with what the base commit said of it, and the way out.
    const failed = lastMessageOf(fx.server(), 2);
    expect(failed).toContain("`lint` failed there too");
    expect(failed).toContain(
      "lint: `sh lint.sh` failed with exit code 2 (it failed on the base commit too)",
    );
    expect(failed).toContain("starts with `cannot fix:`");
    // The same failures again, all of them there before: the harness stops, no loop.
    expect(result).toMatchObject({
      stop: "cannot_fix",
      steps: 3,
      reason:
        "the checks that fail (lint) failed on the base commit too, before any change, and 2 verifications in a row gave the same result.",
      verification: { passed: false, preexisting: ["lint"] },
    });
    expect(fx.events.find((e) => e.type === "agent.cannot_fix")?.data).toMatchObject({
      by: "harness",
      failing: ["lint"],
    });
  });

  it("accepts 'cannot fix' with the model's reason when every failing check failed on the base", async () => {
    fx = agentFixture(
      { "a.txt": "one\n", "check.sh": CHECK, "lint.sh": BROKEN_LINT },
      { checks: { test: "sh check.sh", lint: "sh lint.sh" } },
    );
    const result = await fx.run(
      [
        edit("a.txt", "one", "two"),
        reply(text("a.txt says two.")),
        reply(text("**Cannot fix:** lint.sh fails on every commit; it is outside this task.")),
      ],
      { baseline: true },
    );
    expect(result.stop).toBe("cannot_fix");
    expect(result.reason).toBe("lint.sh fails on every commit; it is outside this task.");
    expect(result.message).toBe(
      "Stamina stopped with checks it cannot fix: lint.sh fails on every commit; it is outside this task.",
    );
    expect(fx.events.find((e) => e.type === "agent.cannot_fix")?.data).toMatchObject({
      by: "model",
    });
  });

  it("refuses 'cannot fix' for a check the change broke", async () => {
    fx = agentFixture(
      { "a.txt": "two\n", "check.sh": CHECK },
      { checks: { test: "sh check.sh" }, budget: { steps: 4 } },
    );
    const result = await fx.run(
      [
        edit("a.txt", "two", "three"),
        reply(text("cannot fix: the test is wrong.")),
        edit("a.txt", "three", "two"),
        reply(text("Put it back: a.txt says two.")),
      ],
      { baseline: true },
    );
    const refused = lastMessageOf(fx.server(), 2);
    expect(refused).toContain(
      'The harness does not accept \\"cannot fix\\" here: test did not fail',
    );
    expect(refused).toContain("`test` passed on the base commit and failed twice on your change");
    // It passed on the base, so it was run once more before the verdict: still failing.
    expect(
      fx.events.filter((e) => e.type === "command" && e.data.purpose === "verify").length,
    ).toBe(3);
    expect(result.stop).not.toBe("cannot_fix");
  });

  it("runs a check that passed on the base once more, and notes it as flaky when it passes", async () => {
    fx = agentFixture({ "a.txt": "one\n", "flaky.sh": FLAKY }, { checks: { test: "sh flaky.sh" } });
    const result = await fx.run(
      [
        edit("a.txt", "one", "two"),
        reply(text("a.txt says two.")),
        reply(text("Reviewed: a.txt says two.")),
      ],
      { baseline: true },
    );
    // Base: passed; after the change: failed, run once more, passed.
    const runs = fx.events.filter((e) => e.type === "command").map((e) => e.data);
    expect(runs.map((r) => [r.purpose, r.exitCode])).toEqual([
      ["baseline", 0],
      ["verify", 1],
      ["verify", 0],
    ]);
    expect(fx.events.find((e) => e.type === "verify.flaky")?.data).toMatchObject({
      flaky: ["test"],
    });
    // The reviewed change is the verified one: its result stands.
    expect(result).toMatchObject({
      stop: "completed",
      verification: { passed: true, flaky: ["test"] },
    });
    const first = fx.events.find((e) => e.type === "verify.result")?.data;
    expect(first).toMatchObject({ passed: true, flaky: ["test"] });
    expect(lastMessageOf(fx.server(), 2)).toContain("they pass");
  });

  it("is checkpointed as step 0, and a run resumed from it does not run it again", async () => {
    fx = agentFixture(
      { "a.txt": "one\n", "check.sh": CHECK },
      { checks: { test: "sh check.sh" }, budget: { steps: 1 } },
    );
    const checkpoints: StepCheckpoint[] = [];
    await fx.run([reply(toolUse("bash", { command: "cat a.txt" }))], {
      baseline: true,
      onStep: (c) => void checkpoints.push(structuredClone(c)),
    });
    const [zero] = checkpoints;
    expect(zero).toMatchObject({ step: 0, touched: false });
    expect(zero?.added).toHaveLength(1); // the task
    expect(zero?.state.baseline).toMatchObject({ passed: false, checks: [{ name: "test" }] });
    expect(baselineRuns()).toHaveLength(1);

    fx.events.length = 0;
    const result = await fx.run(
      [edit("a.txt", "one", "two"), reply(text("Done.")), reply(text("Reviewed."))],
      {
        baseline: true,
        resume: { step: 0, messages: zero?.added ?? [], state: zero?.state ?? {} },
        budget: { ...DEFAULT_BUDGET, steps: 5 },
      },
    );
    expect(baselineRuns()).toHaveLength(0);
    expect(result).toMatchObject({ stop: "completed", steps: 3 });
    expect(fx.server().requests[0]?.body.messages).toHaveLength(1);
  });
});

describe("an honest finish", () => {
  it("asks once when a text-only turn leaves nothing changed, then ends as no change needed", async () => {
    fx = agentFixture({ "a.txt": "two\n", "check.sh": CHECK }, { checks: { test: "sh check.sh" } });
    const result = await fx.run(
      [
        reply(text("I will look at a.txt and change it if needed.")),
        reply(text("a.txt already says two, so the task needs no change.")),
      ],
      { confirmNoChange: true },
    );
    const asked = lastMessageOf(fx.server(), 1);
    expect(asked).toContain("You changed nothing");
    expect(asked).toContain("If that is right");
    expect(result).toMatchObject({
      stop: "no_change",
      steps: 2,
      message: "No change needed: Stamina changed nothing and said why.",
      summary: "a.txt already says two, so the task needs no change.",
      reason: "a.txt already says two, so the task needs no change.",
    });
    expect(fx.types().filter((t) => t === "agent.no_change_asked")).toHaveLength(1);
  });

  it("goes on as usual when the model makes the change after the question", async () => {
    // No checks: nothing fails, so only the empty diff speaks.
    fx = agentFixture({ "a.txt": "one\n" });
    const result = await fx.run(
      [
        reply(text("Plan: make a.txt say two.")),
        edit("a.txt", "one", "two"),
        reply(text("a.txt says two.")),
        reply(text("Reviewed.")),
      ],
      { confirmNoChange: true },
    );
    expect(lastMessageOf(fx.server(), 1)).toContain("You changed nothing");
    expect(result).toMatchObject({ stop: "completed", phase: "done" });
    expect(fx.git("diff", fx.baseSha, "--", "a.txt")).toContain("+two");
  });
});
