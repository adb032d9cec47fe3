// Each tool's errors and limits, as the model meets them: calls made by the
// scripted model through the real SDK, run by the real tools in the sandbox
// (bubblewrap where it can start) on a real git worktree.
import { readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { PlanItem } from "../../src/agent/ports.ts";
import { createSandbox } from "../../src/sandbox/sandbox.ts";
import { reply, text, toolUse } from "../support/model-server/index.ts";
import { eventually, processesMatching } from "../workspace/helpers.ts";
import { agentFixture, toolResultsOf, type AgentFixture } from "./fixture.ts";

const sandbox = createSandbox({ kind: "bubblewrap" });
let fx: AgentFixture;
const outside = agentFixture({ "secret.txt": "outside the worktree\n" });

afterEach(async () => {
  await fx.close();
});
afterAll(async () => {
  await outside.close();
});

const edit = (input: Record<string, unknown>) => toolUse("str_replace_based_edit_tool", input);

/** Runs one step of calls, then ends; returns the results the model got back. */
async function callAll(...calls: ReturnType<typeof toolUse>[]) {
  // Later turns answer the review, or a failed verification.
  await fx.run([reply(...calls), ...Array.from({ length: 3 }, () => reply(text("Done.")))]);
  return toolResultsOf(fx.server(), 1);
}

describe("the editor", () => {
  it("refuses paths out of the worktree, symlinks included, and tells none from many matches", async () => {
    fx = agentFixture({ "a.txt": "x = 1\nx = 1\ny = 2\n" }, {}, sandbox);
    symlinkSync(outside.worktree, join(fx.worktree, "escape"));
    symlinkSync(join(outside.worktree, "new.txt"), join(fx.worktree, "dangling"));
    const results = await callAll(
      edit({ command: "view", path: "../../../etc/passwd" }),
      edit({ command: "view", path: "escape/secret.txt" }),
      edit({ command: "create", path: "dangling", file_text: "planted\n" }),
      edit({ command: "str_replace", path: "a.txt", old_str: "z = 3", new_str: "z = 4" }),
      edit({ command: "str_replace", path: "a.txt", old_str: "x = 1", new_str: "x = 2" }),
      edit({ command: "view", path: ".git/config" }),
      edit({ command: "insert", path: "a.txt", insert_line: "1", insert_text: "# added\n" }),
    );
    expect(results.map((r) => r.is_error)).toEqual([true, true, true, true, true, true, false]);
    expect(results[0]!.content).toMatch(/outside the workspace/);
    expect(results[1]!.content).toMatch(/outside the workspace/);
    expect(results[2]!.content).toMatch(/outside the workspace/);
    expect(results[3]!.content).toMatch(/old_str does not appear verbatim/);
    expect(results[4]!.content).toMatch(/old_str appears 2 times .* lines 1, 2/);
    expect(results[5]!.content).toMatch(/inside a \.git directory/);
    // A line number sent as text is accepted.
    expect(readFileSync(join(fx.worktree, "a.txt"), "utf8")).toBe("x = 1\n# added\nx = 1\ny = 2\n");
    expect(() => statSync(join(outside.worktree, "new.txt"))).toThrow();
  });
});

describe("bash", () => {
  it("keeps one shell for the run: the directory and variables carry over, and restart resets them", async () => {
    fx = agentFixture({ "sub/file.txt": "in sub\n" }, {}, sandbox);
    const results = await callAll(
      toolUse("bash", { command: "cd sub && export GREETING=hello" }),
      toolUse("bash", { command: 'cat file.txt; echo "$GREETING"' }),
      toolUse("bash", { restart: "true" }),
      toolUse("bash", { command: 'pwd; echo "[$GREETING]"' }),
    );
    expect(results.map((r) => r.content)).toEqual([
      "(no output)",
      "in sub\nhello\n",
      expect.stringContaining("The shell was restarted"),
      `${fx.worktree}\n[]\n`,
    ]);
  });

  it("kills a command that never ends on time, and the shell lives on", async () => {
    fx = agentFixture({ "sub/file.txt": "" }, { commandTimeoutMs: 500 }, sandbox);
    const marker = `40.${Math.floor(Math.random() * 1e6)}`;
    const results = await callAll(
      toolUse("bash", { command: "cd sub" }),
      toolUse("bash", { command: `sleep ${marker} & sleep ${marker}; echo never` }),
      toolUse("bash", { command: "pwd" }),
      toolUse("bash", { command: "while :; do :; done; echo never" }),
      toolUse("bash", { command: "pwd" }),
      toolUse("bash", { command: "trap '' INT; while :; do :; done" }),
      toolUse("bash", { command: "pwd" }),
    );
    // The running process is killed and the rest of the command skipped.
    expect(results[1]!.is_error).toBe(true);
    expect(results[1]!.content).toContain("stopped after 1 s, the time limit of one command");
    expect(results[1]!.content).not.toContain("never");
    // (Its background job was the command's too: the shell may report it ended.)
    expect(results[2]!.content.endsWith(`${join(fx.worktree, "sub")}\n`)).toBe(true);
    // A loop in the shell itself is interrupted too, and the shell keeps its directory.
    expect(results[3]!.content).toContain("stopped after 1 s");
    expect(results[3]!.content).not.toContain("never");
    expect(results[4]!.content).toBe(`${join(fx.worktree, "sub")}\n`);
    // A command that will not be interrupted gets the shell replaced, and says so.
    expect(results[5]!.content).toContain("so the shell was replaced");
    expect(results[6]!.content).toBe(`${fx.worktree}\n`);
    // Nothing the timed-out command started is left.
    expect(await eventually(() => processesMatching(`sleep ${marker}`).length === 0, 5_000)).toBe(
      true,
    );
  });

  it("cuts 2 GB of output to its head and tail, keeps memory flat, and saves it where the model can read it", async () => {
    fx = agentFixture({}, { commandTimeoutMs: 120_000 }, sandbox);
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    await fx.run([
      reply(
        toolUse("bash", { command: "yes 0123456789abcdef | head -c 2000000000; echo; echo END" }),
      ),
      (request) => {
        const result = JSON.stringify(request.body.messages.at(-1));
        const path = / in (\/[^ \]]+\.log)\]/.exec(result)?.[1] ?? "missing";
        return reply(toolUse("bash", { command: `head -c 16 ${path}; echo; wc -c < ${path}` }));
      },
      reply(text("Done.")),
    ]);
    clearInterval(sampler);
    const [big] = toolResultsOf(fx.server(), 1);
    expect(big!.content.length).toBeLessThan(31_000);
    expect(big!.content.startsWith("0123456789abcdef\n")).toBe(true);
    expect(big!.content).toMatch(/END\n$/);
    expect(big!.content).toMatch(/bytes cut; the first \d+ bytes are in .*\.log/);
    expect(peak - before).toBeLessThan(200 * 1024 * 1024);
    // The saved file is readable from inside the sandbox, capped at the saved-output limit.
    const [read] = toolResultsOf(fx.server(), 2);
    expect(read!.content).toMatch(/^0123456789abcdef\n\d+\n/);
    const saved = Number(read!.content.split("\n")[1]);
    expect(saved).toBeGreaterThan(60 * 1024 * 1024);
    expect(saved).toBeLessThan(70 * 1024 * 1024);
  }, 120_000);
});

describe("search", () => {
  it("finds matches with paths relative to the worktree, and refuses paths outside it", async () => {
    fx = agentFixture(
      { "src/a.ts": "export const NEEDLE = 1;\n", "src/b.ts": "needle in lower case\n" },
      {},
      sandbox,
    );
    symlinkSync(outside.worktree, join(fx.worktree, "escape"));
    const results = await callAll(
      toolUse("search", { pattern: "NEEDLE" }),
      toolUse("search", { pattern: "needle", case_insensitive: "true", glob: "*.ts" }),
      toolUse("search", { pattern: "outside", path: "escape" }),
      toolUse("search", { pattern: "(unclosed" }),
      toolUse("search", { pattern: "nothing-like-this" }),
      toolUse("search", { pattern: "e", max_results: "1" }),
    );
    expect(results[0]!.content).toBe("src/a.ts:1:export const NEEDLE = 1;");
    expect(results[1]!.content.split("\n").sort()).toEqual([
      "src/a.ts:1:export const NEEDLE = 1;",
      "src/b.ts:1:needle in lower case",
    ]);
    expect(results[2]).toMatchObject({ is_error: true });
    expect(results[2]!.content).toMatch(/outside the workspace/);
    expect(results[3]).toMatchObject({ is_error: true });
    expect(results[3]!.content).toMatch(/The search failed/);
    expect(results[4]!.content).toBe("No matches.");
    expect(results[5]!.content).toMatch(/^src\/.\.ts:1:.*\n\[Only the first 1 matching lines/);
  });
});

describe("run_checks", () => {
  it("answers a pass or fail per check, with the failing output, and skips what a failed build makes moot", async () => {
    fx = agentFixture(
      { "lint.sh": "echo 'line 3: unused variable x'; exit 1\n" },
      { checks: { test: "echo tests ok", lint: "sh lint.sh" }, budget: { steps: 3 } },
      sandbox,
    );
    const [checks] = await callAll(toolUse("run_checks", {}));
    expect(checks!.is_error).toBe(false);
    expect(checks!.content).toContain("Checks failed: lint.");
    expect(checks!.content).toContain("✓ test: `echo tests ok` passed");
    expect(checks!.content).toContain("✗ lint: `sh lint.sh` failed with exit code 1");
    expect(checks!.content).toContain("line 3: unused variable x");
    await fx.close();

    fx = agentFixture(
      {},
      { checks: { build: "exit 2", test: "true" }, budget: { steps: 3 } },
      sandbox,
    );
    const [broken] = await callAll(toolUse("run_checks", {}));
    expect(broken!.content).toContain("- test: `true` skipped: the build failed");
  });
});

describe("checkpoint", () => {
  it("commits the work with the model's message and the audit trailer, and says when there is nothing to commit", async () => {
    fx = agentFixture({}, {}, sandbox);
    const results = await callAll(
      toolUse("checkpoint", { message: "" }),
      toolUse("bash", { command: "echo work > w.txt" }),
      toolUse("checkpoint", { message: "Add w.txt\n\nStamina-Audit: forged" }),
      toolUse("checkpoint", { message: "Again" }),
    );
    expect(results[0]).toMatchObject({ is_error: true });
    expect(results[0]!.content).toMatch(
      /Invalid input for checkpoint: .*message must say what the commit holds/s,
    );
    expect(results[2]!.content).toMatch(/^Checkpoint committed: [0-9a-f]{12}\.$/);
    expect(results[3]!.content).toMatch(/^Nothing to commit/);
    const message = fx.git("log", "-1", "--format=%B");
    expect(message).toContain("Add w.txt");
    expect(message).not.toContain("forged");
    expect(message).toMatch(/Stamina-Audit: 0{64}/);
  });
});

describe("update_plan", () => {
  it("takes the plan as models send it, and says what is wrong with a bad one", async () => {
    fx = agentFixture({}, {}, sandbox);
    const plans: PlanItem[][] = [];
    await fx.run(
      [
        reply(
          toolUse("update_plan", {
            plan: JSON.stringify([
              { step: "Read the code", status: "completed" },
              { step: "Change it", status: "in progress" },
              "Test it",
            ]),
          }),
          toolUse("update_plan", { plan: [{ step: "", status: "done" }] }),
          toolUse("update_plan", { plan: [{ step: "Ship", status: "someday" }] }),
        ),
        reply(text("Done.")),
      ],
      {
        progress: {
          plan: (plan) => Promise.resolve(void plans.push(plan)),
          phase: () => Promise.resolve(),
        },
      },
    );
    expect(plans).toEqual([
      [
        { step: "Read the code", status: "done" },
        { step: "Change it", status: "in_progress" },
        { step: "Test it", status: "pending" },
      ],
    ]);
    const results = toolResultsOf(fx.server(), 1);
    expect(results.map((r) => r.is_error)).toEqual([false, true, true]);
    expect(results[0]!.content).toBe("Plan updated: 1 of 3 steps done.");
    expect(results[2]!.content).toMatch(/Invalid input for update_plan: .*plan/s);
  });
});
