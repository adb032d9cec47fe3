// The watchdog in a whole session, through the real SDK against the scripted
// model: each rule fires on a scripted loop or drift, the model reads a nudge
// naming the signal in its next request, and the same signal again pauses
// the run for a person. A healthy session sees none of it.
import { afterEach, describe, expect, it } from "vitest";
import type { PauseRequest, StepCheckpoint } from "../../src/agent/ports.ts";
import { DEFAULT_WATCHDOG } from "../../src/agent/watchdog-rules.ts";
import type { ModelServer, ScriptedTurn } from "../support/model-server/index.ts";
import { reply, text, toolUse } from "../support/model-server/index.ts";
import { agentFixture, type AgentFixture } from "./fixture.ts";

let fx: AgentFixture;
afterEach(() => fx.close());

const bash = (command: string) => reply(toolUse("bash", { command }));
const edit = (input: Record<string, unknown>) =>
  reply(toolUse("str_replace_based_edit_tool", input));

/** Runs the script with the watchdog on; what it paused for and every checkpoint. */
async function watched(script: ScriptedTurn[], settings: Partial<typeof DEFAULT_WATCHDOG> = {}) {
  const pauses: PauseRequest[] = [];
  const checkpoints: StepCheckpoint[] = [];
  const result = await fx.run(script, {
    watchdog: { ...DEFAULT_WATCHDOG, ...settings },
    human: {
      pause: (request) => {
        pauses.push(request);
        return Promise.resolve();
      },
    },
    onStep: (checkpoint) => {
      checkpoints.push(checkpoint);
    },
  });
  return { result, pauses, checkpoints };
}

/** The text blocks (not tool results) the n-th request's last message carries. */
/** The watchdog's notes in request `n`: its last message's texts, but the budget line every reply ends with. */
function notesIn(server: ModelServer, n: number): string[] {
  const content = server.requests[n]?.body.messages.at(-1)?.content;
  if (!Array.isArray(content)) return [];
  return content.flatMap((b) =>
    b.type === "text" && !b.text.startsWith("Budget left:") ? [b.text] : [],
  );
}

function watchdogEvents() {
  return fx.events
    .filter((e) => e.type.startsWith("watchdog."))
    .map((e) => `${e.type}:${String(e.data.step)}:${String(e.data.rule)}`);
}

describe("the watchdog in a session", () => {
  it("nudges on the third identical call, then pauses when the loop goes on", async () => {
    fx = agentFixture({ "a.txt": "one\n" });
    const look = edit({ command: "view", path: "a.txt" });
    const { result, pauses, checkpoints } = await watched([look, look, look, look, look, look]);
    expect(watchdogEvents()).toEqual([
      "watchdog.signal:3:repeated_call",
      "watchdog.nudge:3:repeated_call",
      "watchdog.signal:6:repeated_call",
      "watchdog.pause:6:repeated_call",
    ]);
    // The nudge is a text block of the next request, after the tool result, naming the signal.
    const [nudge] = notesIn(fx.server(), 3);
    expect(nudge).toMatch(
      /^Watchdog \(repeated call\): The same tool call \(str_replace_based_edit_tool/,
    );
    expect(notesIn(fx.server(), 2)).toEqual([]);
    expect(result).toMatchObject({ stop: "paused", steps: 6, verification: null });
    expect(result.message).toContain("The watchdog paused the run at step 6");
    expect(pauses).toEqual([
      expect.objectContaining({ source: "watchdog", reason: result.message }),
    ]);
    // The step before the pause is checkpointed with the watchdog's record, for resume and health.
    const last = checkpoints.at(-1)!;
    expect(last.step).toBe(6);
    const hook = last.state.hooks.watchdog as { signals: Array<{ action: string }> };
    expect(hook.signals.map((s) => s.action)).toEqual(["nudge", "pause"]);
    expect(fx.server().requests).toHaveLength(6);
    // Each step's health event carries the watchdog's signals of that step, for plotting.
    const health = fx.events.filter((e) => e.type === "context.health");
    expect(health.map((e) => e.data.signals)).toContainEqual({
      watchdog: { signals: [{ rule: "repeated_call", action: "nudge" }], nudges: 1, pauses: 0 },
    });
    expect(health.at(-1)?.data.signals).toEqual({
      watchdog: { signals: [{ rule: "repeated_call", action: "pause" }], nudges: 1, pauses: 1 },
    });
  });

  it("keeps its window and record in the snapshot, so a resumed run goes on from them", async () => {
    fx = agentFixture({ "a.txt": "one\n" });
    const look = edit({ command: "view", path: "a.txt" });
    const first = await watched([look, look, look, look, look, look]);
    expect(first.result.stop).toBe("paused");
    const last = first.checkpoints.at(-1)!;
    const checkpoints: StepCheckpoint[] = [];
    expect(last.state.pause).toMatchObject({ source: "watchdog", reason: first.result.message });
    const messages = first.checkpoints.flatMap((c) => c.added);

    // Resumed with no answer (the comment may never have been posted), it pauses again at once.
    const pauses: PauseRequest[] = [];
    const unanswered = await fx.run([], {
      watchdog: { ...DEFAULT_WATCHDOG },
      resume: { step: last.step, messages, state: last.state },
      human: { pause: (request) => Promise.resolve(void pauses.push(request)) },
    });
    expect(unanswered).toMatchObject({ stop: "paused", steps: 6, message: first.result.message });
    expect(pauses).toHaveLength(1);
    expect(fx.server().requests).toHaveLength(0);

    // After the answer: the same loop once more gets a nudge first again, then a pause.
    const resumed = await fx.run([look, look, look, look, look, look], {
      watchdog: { ...DEFAULT_WATCHDOG },
      resume: {
        step: last.step,
        messages,
        state: last.state,
        answer: { by: "maintainer", text: "Stop viewing a.txt." },
      },
      onStep: (checkpoint) => {
        checkpoints.push(checkpoint);
      },
    });
    expect(resumed).toMatchObject({ stop: "paused", steps: 12 });
    expect(JSON.stringify(fx.server().requests[0]!.body.messages.at(-1))).toContain(
      "Stop viewing a.txt.",
    );
    const hook = checkpoints.at(-1)!.state.hooks.watchdog as {
      signals: Array<{ step: number; action: string }>;
    };
    expect(hook.signals.map((s) => `${s.step}:${s.action}`)).toEqual([
      "3:nudge",
      "6:pause",
      "9:nudge",
      "12:pause",
    ]);
  });

  it("nudges, then pauses, on the same command failing 3 times in a row", async () => {
    fx = agentFixture({ "a.txt": "one\n" });
    // Each attempt reads and passes, changing nothing, so only the failures repeat (a changed
    // worktree would start the streak again; the same call repeated is not what is tested here).
    const attempt = (i: number) => bash(`head -c ${i} a.txt`);
    const fail = reply(toolUse("bash", { command: "sh -c 'exit 4'" }));
    const { result } = await watched(
      [
        fail,
        attempt(1),
        fail,
        attempt(2),
        fail,
        attempt(3),
        fail,
        attempt(4),
        fail,
        attempt(5),
        fail,
      ],
      { repeatedCalls: 100, errorShare: 1 },
    );
    expect(watchdogEvents()).toEqual([
      "watchdog.signal:5:failing_command",
      "watchdog.nudge:5:failing_command",
      "watchdog.signal:11:failing_command",
      "watchdog.pause:11:failing_command",
    ]);
    expect(notesIn(fx.server(), 5)[0]).toContain(
      "Watchdog (failing command): The command `sh -c 'exit 4'` failed 3 times in a row.",
    );
    expect(result.stop).toBe("paused");
  });

  it("counts neither a search that finds nothing nor a test written first as failing", async () => {
    fx = agentFixture({ "src/sum.js": "exports.sum = (a, b) => a - b;\n" });
    const miss = (i: number) => bash(`grep -rn missingName${i} src`);
    const failingTest = [
      'const assert = require("node:assert");',
      'const { sum } = require("../src/sum.js");',
      "assert.equal(sum(1, 2), 3);",
      "",
    ].join("\n");
    const runTest = bash("node --test test/sum.test.js");
    const { result } = await watched(
      [
        miss(1),
        miss(2),
        miss(3),
        miss(4),
        edit({ command: "create", path: "test/sum.test.js", file_text: failingTest }),
        runTest,
        runTest,
        runTest,
        runTest,
        reply(text("The test fails as it should until sum is fixed; stopping here.")),
        reply(text("Reviewed.")),
      ],
      // The same test run again is the point here, not a repeated call.
      { repeatedCalls: 100 },
    );
    const results = fx.events.filter((e) => e.type === "tool.result" && e.data.name === "bash");
    // They did fail: grep exits 1 with nothing printed, the test run exits non-zero.
    expect(results.slice(0, 4).map((e) => [e.data.exitCode, e.data.totalBytes])).toEqual(
      Array.from({ length: 4 }, () => [1, 0]),
    );
    expect(results.slice(4).every((e) => e.data.exitCode !== 0)).toBe(true);
    expect(watchdogEvents()).toEqual([]);
    expect(result.stop).toBe("completed");
  });

  it("nudges, then pauses, when the edits drift to files nothing points to", async () => {
    fx = agentFixture({ "a.txt": "one\n" });
    const create = (path: string) => edit({ command: "create", path, file_text: `${path}\n` });
    const { result } = await watched([
      create("x1.txt"),
      create("x2.txt"),
      create("x3.txt"),
      create("x4.txt"),
      create("x5.txt"),
    ]);
    expect(watchdogEvents()).toEqual([
      "watchdog.signal:4:out_of_scope",
      "watchdog.nudge:4:out_of_scope",
      "watchdog.signal:5:out_of_scope",
      "watchdog.pause:5:out_of_scope",
    ]);
    expect(notesIn(fx.server(), 4)[0]).toContain(
      "Watchdog (out of scope): 4 changed files are ones that neither the issue, the plan nor the files changed before point to (x1.txt, x2.txt, x3.txt, x4.txt).",
    );
    expect(result.stop).toBe("paused");
  });

  it("nudges, then pauses, when most calls fail", async () => {
    fx = agentFixture({});
    const missing = (i: number) => edit({ command: "view", path: `missing-${i}.txt` });
    const { result } = await watched(Array.from({ length: 12 }, (_, i) => missing(i)));
    expect(watchdogEvents()).toEqual([
      "watchdog.signal:6:error_rate",
      "watchdog.nudge:6:error_rate",
      "watchdog.signal:12:error_rate",
      "watchdog.pause:12:error_rate",
    ]);
    expect(notesIn(fx.server(), 6)[0]).toContain(
      "Watchdog (error rate): 6 of the last 6 tool calls failed",
    );
    expect(result).toMatchObject({ stop: "paused", steps: 12 });
  });

  it("nudges, then pauses, when nothing moves and nothing new is read for 15 steps", async () => {
    const files = ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"];
    fx = agentFixture(Object.fromEntries(files.map((f) => [f, `${f}\n`])));
    // Five first reads, then rereads in turn: no call made 3 times within 10 steps.
    const reads = Array.from({ length: 35 }, (_, i) => bash(`cat ${files[i % 5]!}`));
    const { result } = await watched(reads);
    expect(watchdogEvents()).toEqual([
      "watchdog.signal:20:stall",
      "watchdog.nudge:20:stall",
      "watchdog.signal:35:stall",
      "watchdog.pause:35:stall",
    ]);
    expect(notesIn(fx.server(), 20)[0]).toContain(
      "Watchdog (stall): Neither the change nor the plan has moved, and nothing was read for the first time, for 15 steps.",
    );
    expect(result).toMatchObject({ stop: "paused", steps: 35 });
  });

  it("with stall_steps 10, pauses a run on its 20th reread in a row", async () => {
    const files = ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"];
    fx = agentFixture(Object.fromEntries(files.map((f) => [f, `${f}\n`])));
    // Five first reads (steps 1-5), then 20 rereads in turn (steps 6-25).
    const reads = Array.from({ length: 25 }, (_, i) => bash(`cat ${files[i % 5]!}`));
    const { result } = await watched(reads, { stallSteps: 10 });
    expect(watchdogEvents()).toEqual([
      "watchdog.signal:15:stall",
      "watchdog.nudge:15:stall",
      "watchdog.signal:25:stall",
      "watchdog.pause:25:stall",
    ]);
    expect(result).toMatchObject({ stop: "paused", steps: 25 });
  });

  it("lets a run explore: 40 files read for the first time are progress, not a stall", async () => {
    const files = Array.from({ length: 40 }, (_, i) => `src/part-${i}.ts`);
    fx = agentFixture(Object.fromEntries(files.map((f) => [f, `export const x = 1;\n`])));
    const reads = files.map((path, i) =>
      i % 2 === 0 ? edit({ command: "view", path }) : bash(`head -n 5 ${path}`),
    );
    const { result } = await watched([...reads, reply(text("Read it all; nothing to change."))]);
    expect(watchdogEvents()).toEqual([]);
    expect(result.stop).not.toBe("paused");
    expect(result.steps).toBeGreaterThanOrEqual(41);
  });

  it("resumes a run whose watchdog state was saved before reads were kept", async () => {
    const files = ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"];
    fx = agentFixture(Object.fromEntries(files.map((f) => [f, `${f}\n`])));
    const first = await watched([
      ...files.map((f) => bash(`cat ${f}`)),
      reply(text("Paused here.")),
      reply(text("Paused here.")),
    ]);
    const last = first.checkpoints[4]!; // after the five first reads
    // The state as an older Stamina saved it: no `read` in the rules' window.
    const state = structuredClone(last.state);
    const watchdog = state.hooks.watchdog as { rules: Record<string, unknown> };
    delete watchdog.rules.read;
    const messages = first.checkpoints.slice(0, 5).flatMap((c) => c.added);
    const checkpoints: StepCheckpoint[] = [];
    const rereads = Array.from({ length: 10 }, (_, i) => bash(`cat ${files[i % 5]!}`));
    await fx.run([...rereads, reply(text("Read them again.")), reply(text("Read them again."))], {
      watchdog: { ...DEFAULT_WATCHDOG },
      resume: { step: last.step, messages, state },
      human: { pause: () => Promise.resolve() },
      onStep: (checkpoint) => {
        checkpoints.push(checkpoint);
      },
    });
    // Each file is new to the resumed watchdog once (steps 6-10), a reread after: the stall
    // counts from step 10.
    const rules = checkpoints.at(-1)!.state.hooks.watchdog as {
      rules: { progressStep: number; read: string[] };
    };
    expect(rules.rules.progressStep).toBe(10);
    expect(rules.rules.read).toHaveLength(5);
  });

  it("nudges again rather than pausing when the signal comes back long after", async () => {
    fx = agentFixture({ "a.txt": "one\n" });
    const look = edit({ command: "view", path: "a.txt" });
    const busy = Array.from({ length: 4 }, (_, i) => bash(`echo ${i} >> a.txt`));
    const { result } = await watched(
      [look, look, look, ...busy, look, look, look, reply(text("Stopping.")), reply(text("Done."))],
      { pauseWithin: 5 },
    );
    expect(watchdogEvents()).toEqual([
      "watchdog.signal:3:repeated_call",
      "watchdog.nudge:3:repeated_call",
      "watchdog.signal:10:repeated_call",
      "watchdog.nudge:10:repeated_call",
    ]);
    expect(result.stop).not.toBe("paused");
  });

  it("stays quiet on healthy work: plan, read, edit, test, fix, finish", async () => {
    fx = agentFixture(
      { "a.txt": "one\n", "check.sh": "grep -q two a.txt\n" },
      { checks: { test: "sh check.sh" } },
    );
    const { result } = await watched([
      bash("ls && cat a.txt check.sh"),
      reply(toolUse("update_plan", { plan: ["Make a.txt say two"] })),
      edit({ command: "str_replace", path: "a.txt", old_str: "one", new_str: "tow" }),
      reply(toolUse("run_checks", {})),
      edit({ command: "view", path: "a.txt" }),
      edit({ command: "str_replace", path: "a.txt", old_str: "tow", new_str: "two" }),
      reply(toolUse("run_checks", {})),
      reply(toolUse("update_plan", { plan: [{ step: "Make a.txt say two", status: "done" }] })),
      reply(text("a.txt says two.")),
      reply(text("a.txt says two, and the test passes.")),
    ]);
    expect(watchdogEvents()).toEqual([]);
    expect(fx.types()).not.toContain("hook.failed");
    expect(result).toMatchObject({ stop: "completed" });
    expect(result.verification?.passed).toBe(true);
  });
});
