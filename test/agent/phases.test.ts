// The phases, driven by the harness: the model's "done" asks for a
// verification, the checks' exit codes answer it. Real checks in the sandbox,
// real git, the real SDK against the scripted model.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { PlanItem } from "../../src/agent/ports.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { agentFixture, lastMessageOf, type AgentFixture } from "./fixture.ts";

let fx: AgentFixture;

afterEach(async () => {
  await fx.close();
});

const edit = (path: string, from: string, to: string) => reply(editFile(path, from, to));

const CHECK = 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n';

describe("the phases", () => {
  it("go in order: plan, implement, verify (failing once, then passing), review, final verify", async () => {
    fx = agentFixture({ "a.txt": "one\n", "check.sh": CHECK }, { checks: { test: "sh check.sh" } });
    const plans: PlanItem[][] = [];
    const phases: string[] = [];
    const result = await fx.run(
      [
        reply(
          text("I will make a.txt say two."),
          toolUse("update_plan", { plan: [{ step: "Change a.txt", status: "in_progress" }] }),
        ),
        edit("a.txt", "one", "three"),
        reply(text("Done: a.txt is changed.")),
        edit("a.txt", "three", "two"),
        reply(text("Fixed: a.txt says two.")),
        // The review: a refactor, then the summary.
        reply(toolUse("bash", { command: "printf 'two\\n\\n' > a.txt" })),
        reply(text("a.txt now says two, as the task asks.")),
      ],
      {
        progress: {
          plan: (plan) => Promise.resolve(void plans.push(plan)),
          phase: (phase) => Promise.resolve(void phases.push(phase)),
        },
      },
    );
    expect(result).toMatchObject({
      stop: "completed",
      steps: 7,
      phase: "done",
      summary: "a.txt now says two, as the task asks.",
      verification: { configured: true, passed: true, phase: "final_verify" },
      testWeakening: [],
    });
    expect(phases).toEqual(["implement", "verify", "review", "done"]);
    expect(plans).toEqual([[{ step: "Change a.txt", status: "in_progress" }]]);

    // The harness ran the checks three times: failing, passing, and on the reviewed change.
    const verifications = fx.events.filter((e) => e.type === "verify.result").map((e) => e.data);
    expect(verifications).toMatchObject([
      { phase: "verify", passed: false, checks: [{ name: "test", exitCode: 3 }] },
      { phase: "verify", passed: true },
      { phase: "final_verify", passed: true },
    ]);
    // The failure went back to the model with the check's output.
    const failed = lastMessageOf(fx.server(), 3);
    expect(failed).toContain("did not pass");
    expect(failed).toContain("a.txt lacks two");
    // The review showed the whole change, with the checklist.
    const review = lastMessageOf(fx.server(), 5);
    expect(review).toContain("they pass");
    expect(review).toContain("-one\\n+two");
    expect(review).toContain("Go through this checklist");
    // Each green verification is a milestone commit; the model's replies gave no commit message,
    // so the harness's subject names the file.
    expect(fx.git("log", "--format=%s", `${fx.baseSha}..HEAD`).trim().split("\n")).toEqual([
      "Update a.txt",
      "Update a.txt",
    ]);
    expect(readFileSync(join(fx.worktree, "a.txt"), "utf8")).toBe("two\n\n");
  });

  it("does not report green when the model claims success while the tests fail", async () => {
    fx = agentFixture(
      { "a.txt": "one\n", "check.sh": CHECK },
      { checks: { test: "sh check.sh" }, budget: { steps: 4 } },
    );
    const result = await fx.run([
      edit("a.txt", "one", "three"),
      reply(text("All tests pass. The work is complete.")),
      reply(text("I have verified it: every test passes.")),
      reply(text("Trust me, the tests pass.")),
    ]);
    expect(result.summary).toBe("Trust me, the tests pass.");
    // The third turn end on an unchanged change stops the run instead of sending the verdict again.
    expect(result.stop).toBe("cannot_fix");
    expect(result.steps).toBe(4);
    expect(result.reason).toBe(
      "the checks still fail (test), and the model ended its turn 3 times in a row without changing anything.",
    );
    expect(result.verification).toMatchObject({ configured: true, passed: false });
    expect(result.phase).toBe("verify");
    // The unchanged tree was not run again each time: the same failing result stood.
    expect(fx.types().filter((t) => t === "verify.result")).toHaveLength(1);
    expect(fx.types().filter((t) => t === "verify.reused").length).toBeGreaterThanOrEqual(2);
    // The second time, the model is told nothing changed and what ending again does.
    expect(lastMessageOf(fx.server(), 2)).not.toContain("Nothing changed since");
    expect(lastMessageOf(fx.server(), 3)).toContain(
      "Nothing changed since the last verification, so this is the same result.",
    );
    expect(fx.git("log", "--format=%s", `${fx.baseSha}..HEAD`)).toBe("");
  });

  it("flags a change that removes an assertion, and tells the model in the review", async () => {
    fx = agentFixture(
      {
        "test/sum.test.js": [
          'import assert from "node:assert/strict";',
          "assert.equal(1 + 1, 2);",
          "assert.equal(2 + 2, 5);",
          "",
        ].join("\n"),
      },
      { checks: { test: "node test/sum.test.js" } },
    );
    const result = await fx.run([
      edit("test/sum.test.js", "assert.equal(2 + 2, 5);\n", ""),
      reply(text("Fixed the failing test.")),
      reply(text("Removed a wrong assertion.")),
    ]);
    expect(result).toMatchObject({ stop: "completed", verification: { passed: true } });
    expect(result.testWeakening).toEqual([
      { path: "test/sum.test.js", kind: "fewer_assertions", detail: "1 assertion removed" },
    ]);
    expect(lastMessageOf(fx.server(), 2)).toContain("flagged changes that weaken the tests");
  });

  it("skips the review when nothing changed", async () => {
    fx = agentFixture({ "a.txt": "two\n", "check.sh": CHECK }, { checks: { test: "sh check.sh" } });
    const result = await fx.run([reply(text("It already says two."))]);
    expect(result).toMatchObject({ stop: "completed", steps: 1, verification: { passed: true } });
  });
});
