// The watchdog's rules on scripted sequences of steps: each fires within its
// window and not outside it, and a healthy session fires none.
import { describe, expect, it } from "vitest";
import {
  DEFAULT_WATCHDOG,
  diffFiles,
  hash,
  initialWatchdogState,
  observeCall,
  observeStep,
  pointsTo,
  type WatchdogSignal,
  type WatchdogState,
} from "../../src/agent/watchdog-rules.ts";

interface ScriptedStep {
  calls?: Array<{
    name: string;
    input: unknown;
    isError?: boolean;
    exitCode?: number;
    /** The bytes the command printed (bash's `totalBytes`). */
    totalBytes?: number;
  }>;
  /** The working diff after the step; undefined: the step changed nothing. */
  diff?: string;
  plan?: string;
}

/** Feeds the steps to the rules; every signal with the step it fired at. */
function play(
  steps: ScriptedStep[],
  options: { scope?: string; settings?: Partial<typeof DEFAULT_WATCHDOG> } = {},
): { signals: WatchdogSignal[]; state: WatchdogState } {
  let state = initialWatchdogState();
  const signals: WatchdogSignal[] = [];
  let plan = "";
  steps.forEach((s, i) => {
    plan = s.plan ?? plan;
    const result = observeStep(
      state,
      {
        step: i + 1,
        calls: (s.calls ?? []).map((c) =>
          observeCall({
            name: c.name,
            input: c.input,
            isError: c.isError ?? false,
            details:
              c.exitCode === undefined
                ? undefined
                : { exitCode: c.exitCode, totalBytes: c.totalBytes ?? 10 },
          }),
        ),
        diff: s.diff === undefined ? null : { hash: hash(s.diff), files: diffFiles(s.diff) },
        plan,
        scope: options.scope ?? "Make a.txt say two.",
      },
      { ...DEFAULT_WATCHDOG, ...options.settings },
    );
    state = result.state;
    signals.push(...result.signals);
  });
  return { signals, state };
}

const bash = (command: string, exitCode = 0) => ({ name: "bash", input: { command }, exitCode });
const view = (path: string) => ({
  name: "str_replace_based_edit_tool",
  input: { command: "view", path },
});
const fileDiff = (...paths: string[]) =>
  paths
    .map(
      (p, i) =>
        `diff --git a/${p} b/${p}\n--- a/${p}\n+++ b/${p}\n@@ -1 +1 @@\n-old\n+new ${i} ${p}\n`,
    )
    .join("");
const rules = (signals: WatchdogSignal[]) => signals.map((s) => `${s.step}:${s.rule}`);

describe("the watchdog's rules", () => {
  it("fire on the same call with the same input the third time within 10 steps", () => {
    const { signals } = play([
      { calls: [view("a.txt")], plan: "pending Make a.txt say two" },
      { calls: [bash("ls")] },
      { calls: [view("a.txt")] },
      { calls: [bash("pwd")] },
      { calls: [view("a.txt")] },
    ]);
    expect(rules(signals)).toEqual(["5:repeated_call"]);
    expect(signals[0]!.message).toContain('str_replace_based_edit_tool {"command":"view"');
  });

  it("do not count repeats spread wider than the window, or made on a changed worktree", () => {
    const spread = play([
      { calls: [view("a.txt")], plan: "p" },
      ...Array.from({ length: 5 }, (_, i) => ({ calls: [bash(`echo ${i}`)], plan: `p${i}` })),
      { calls: [view("a.txt")] },
      ...Array.from({ length: 5 }, (_, i) => ({ calls: [bash(`echo x${i}`)], plan: `q${i}` })),
      { calls: [view("a.txt")] },
    ]);
    expect(rules(spread.signals)).toEqual([]);
    // Tests run again after each edit are work, not a loop.
    const tdd = play([
      { calls: [bash("npm test")], diff: fileDiff("a.txt") + "+1\n" },
      { calls: [bash("npm test")], diff: fileDiff("a.txt") + "+2\n" },
      { calls: [bash("npm test")], diff: fileDiff("a.txt") + "+3\n" },
    ]);
    expect(rules(tdd.signals)).toEqual([]);
  });

  it("fire when the same command fails 3 times in a row, and not when it passes in between", () => {
    const failing = play(
      [
        { calls: [bash("npm test", 1)], diff: fileDiff("a.txt") + "+1" },
        { calls: [bash("cat a.txt"), bash("npm test", 1)] },
        { calls: [bash("npm test", 1)] },
      ],
      { settings: { repeatedCalls: 100 } },
    );
    expect(rules(failing.signals)).toEqual(["3:failing_command"]);
    expect(failing.signals[0]!.message).toBe("the command `npm test` failed 3 times in a row.");
    const recovering = play(
      [
        { calls: [bash("npm test", 1)], diff: fileDiff("a.txt") + "+1" },
        { calls: [bash("npm test", 0)] },
        { calls: [bash("npm test", 1)] },
        { calls: [bash("npm test", 1)] },
      ],
      { settings: { repeatedCalls: 100 } },
    );
    expect(rules(recovering.signals)).toEqual([]);
  });

  it("start the failing streak again when the diff changes", () => {
    const settings = { repeatedCalls: 100 };
    const editing = play(
      [
        { calls: [bash("npm test", 1)], diff: fileDiff("a.txt") + "+1" },
        { calls: [bash("npm test", 1)] },
        // An edit: the next failure is the first against the new change.
        { calls: [bash("npm test", 1)], diff: fileDiff("a.txt") + "+2" },
        { calls: [bash("npm test", 1)] },
      ],
      { settings },
    );
    expect(rules(editing.signals)).toEqual([]);
    expect(editing.state.failing).toEqual([{ command: "npm test", count: 2 }]);
    const stuck = play(
      [
        { calls: [bash("npm test", 1)], diff: fileDiff("a.txt") + "+1" },
        { calls: [bash("npm test", 1)] },
        { calls: [bash("npm test", 1)], diff: fileDiff("a.txt") + "+1" },
      ],
      { settings },
    );
    expect(rules(stuck.signals)).toEqual(["3:failing_command"]);
  });

  it("do not count a search that found nothing as a failing command", () => {
    const misses = ["grep -rn missingName src", "cd src && rg -n missingName", "git grep -n nope"];
    const { signals, state } = play(
      Array.from({ length: 6 }, (_, i) => ({
        calls: [{ ...bash(misses[i % 3]!, 1), totalBytes: 0 }],
      })),
    );
    expect(rules(signals)).toEqual([]);
    expect(state.calls.filter((c) => c.failed)).toEqual([]);
    // A search that printed an error, one piped on, and exit 2 are failures as before.
    const failing = play(
      Array.from({ length: 3 }, () => ({
        calls: [
          { ...bash("grep -rn x nowhere/", 2), totalBytes: 0 },
          { ...bash("grep x a.txt | sort -z", 1), totalBytes: 0 },
          { ...bash("rg x", 1), totalBytes: 40 },
        ],
      })),
      { settings: { repeatedCalls: 100 } },
    );
    expect(rules(failing.signals).filter((r) => r.endsWith("failing_command"))).toEqual([
      "3:failing_command",
      "3:failing_command",
      "3:failing_command",
    ]);
  });

  it("do not count a failing test written first, until a file other than a test changes", () => {
    const settings = { repeatedCalls: 100 };
    const testFirst = play(
      [
        { diff: fileDiff("test/parser.test.ts") },
        { calls: [bash("npx vitest run test/parser.test.ts", 1)] },
        { calls: [bash("npx vitest run test/parser.test.ts", 1)] },
        { calls: [bash("npx vitest run test/parser.test.ts", 1)] },
      ],
      { settings },
    );
    expect(rules(testFirst.signals)).toEqual([]);
    expect(testFirst.state.failing).toEqual([]);
    // Once the source changed, the same failures count, even after the change is undone.
    const source = fileDiff("test/parser.test.ts", "src/parser.ts");
    const afterSource = play(
      [
        { diff: fileDiff("test/parser.test.ts") },
        { calls: [bash("npx vitest run test/parser.test.ts", 1)], diff: source },
        { calls: [bash("npx vitest run test/parser.test.ts", 1)] },
        {
          calls: [bash("npx vitest run test/parser.test.ts", 1)],
          diff: fileDiff("test/parser.test.ts"),
        },
        { calls: [bash("npx vitest run test/parser.test.ts", 1)] },
        { calls: [bash("npx vitest run test/parser.test.ts", 1)] },
      ],
      { settings },
    );
    expect(rules(afterSource.signals)).toEqual(["6:failing_command"]);
    // A failing command that is no test is counted while only tests changed.
    const other = play(
      [
        { diff: fileDiff("test/parser.test.ts") },
        { calls: [bash("node scripts/gen.js", 1)] },
        { calls: [bash("node scripts/gen.js", 1)] },
        { calls: [bash("node scripts/gen.js", 1)] },
      ],
      { settings },
    );
    expect(rules(other.signals)).toEqual(["4:failing_command"]);
  });

  it("fire once more files than allowed are changed that nothing points to", () => {
    const { signals, state } = play(
      [
        { diff: fileDiff("a.txt") },
        { diff: fileDiff("a.txt", "src/util.ts"), plan: "pending update src/util.ts" },
        { diff: fileDiff("a.txt", "src/util.ts", "x1.txt", "x2.txt", "x3.txt") },
        { diff: fileDiff("a.txt", "src/util.ts", "x1.txt", "x2.txt", "x3.txt", "x4.txt") },
      ],
      { scope: "a.txt should say two" },
    );
    expect(rules(signals)).toEqual(["4:out_of_scope"]);
    expect(signals[0]!.message).toContain("x1.txt, x2.txt, x3.txt, x4.txt");
    expect(state.scoped).toEqual(["a.txt", "src/util.ts"]);
  });

  it("take in scope what the issue, the plan and the files already changed point to", () => {
    const importing = `diff --git a/src/main.ts b/src/main.ts\n+import { parse } from "./parser.ts";\n`;
    const { signals, state } = play(
      [
        { diff: importing },
        {
          diff: `${importing}${fileDiff("src/parser.ts", "test/parser.test.ts", "docs/README.md")}`,
        },
      ],
      { scope: "main.ts crashes on empty input", settings: { outOfScopeFiles: 0 } },
    );
    expect(state.scoped).toEqual(["src/main.ts", "src/parser.ts", "test/parser.test.ts"]);
    expect(state.strays).toEqual(["docs/README.md"]);
    expect(rules(signals)).toEqual(["2:out_of_scope"]);
  });

  it("fire when more than half of the last 10 calls failed", () => {
    const calls = [true, false, true, true, false, true, false, true, true];
    const { signals } = play(
      calls.map((failed, i) => ({
        calls: [{ name: "search", input: { pattern: `p${i}` }, isError: failed }],
        plan: `p${i}`,
      })),
    );
    // The 6th failure among the last 10 calls is the 9th call.
    expect(rules(signals)).toEqual(["9:error_rate"]);
    expect(signals[0]!.message).toBe("6 of the last 9 tool calls failed (more than 50% of 10).");
  });

  it("fire when neither the diff nor the plan moved, nor anything new was read, for 15 steps", () => {
    const files = ["f0", "f1", "f2", "f3", "f4"];
    const steps: ScriptedStep[] = [
      { diff: fileDiff("a.txt"), plan: "pending a", calls: files.map((f) => bash(`cat ${f}`)) },
    ];
    // Rereads, each file every 5 steps: no call made 3 times within 10 steps.
    for (let i = 0; i < 15; i++)
      steps.push({ calls: [bash(`cat f${i % 5}`)], diff: fileDiff("a.txt") });
    const { signals } = play(steps);
    expect(rules(signals)).toEqual(["16:stall"]);
    expect(signals[0]!.message).toBe(
      "neither the change nor the plan has moved, and nothing was read for the first time, for 15 steps.",
    );
    const moving = play([...steps.slice(0, 10), { plan: "done a" }, ...steps.slice(10)]);
    expect(rules(moving.signals)).toEqual([]);
  });

  it("count a first read as progress: 40 files read for the first time do not stall", () => {
    const steps: ScriptedStep[] = Array.from({ length: 40 }, (_, i) => ({
      calls: [i % 2 === 0 ? view(`src/module-${i}.ts`) : bash(`cat lib/part-${i}.ts`)],
    }));
    expect(play(steps).signals).toEqual([]);
  });

  it("count no reread as progress: 20 rereads stall at the 15th", () => {
    const files = ["a.ts", "b.ts", "c.ts", "d.ts", "e.ts"];
    const steps: ScriptedStep[] = files.map((f) => ({ calls: [view(f)] }));
    for (let i = 0; i < 20; i++) {
      // The same file by another way is the same read: `./a.ts` is a.ts.
      steps.push({ calls: [view(i % 2 === 0 ? files[i % 5]! : `./${files[i % 5]!}`)] });
    }
    // The last first read is step 5; the 15th reread is step 20, and the rule holds from there
    // (the hook spends the evidence: watchdog.ts).
    expect(rules(play(steps).signals)).toEqual(
      ["20", "21", "22", "23", "24", "25"].map((step) => `${step}:stall`),
    );
    // A failed read read nothing: it is not progress either.
    const failing = play([
      ...steps.slice(0, 5),
      ...Array.from({ length: 15 }, (_, i) => ({
        calls: [bash(`cat missing-${i}.ts`, 1), view(files[i % 5]!)],
      })),
    ]);
    expect(rules(failing.signals)).toContain("20:stall");
  });

  it("take up a state saved before reads were kept, counting every read as new once", () => {
    const { read: _, ...old } = initialWatchdogState();
    const result = observeStep(
      { ...old, progressStep: 1 },
      {
        step: 20,
        calls: [observeCall({ name: "bash", input: { command: "cat a.txt" }, isError: false })],
        diff: null,
        plan: "",
        scope: "",
      },
      DEFAULT_WATCHDOG,
    );
    expect(result.signals).toEqual([]);
    expect(result.state.progressStep).toBe(20);
    expect(result.state.read).toHaveLength(1);
  });

  it("fire nothing on a healthy session: orient, plan, edit, test, fix, test", () => {
    const { signals } = play([
      { calls: [bash("ls"), view("a.txt"), view("test/a.test.ts")] },
      {
        calls: [{ name: "update_plan", input: { plan: ["Make a.txt say two"] } }],
        plan: "pending Make a.txt say two",
      },
      {
        calls: [
          { name: "str_replace_based_edit_tool", input: { command: "str_replace", path: "a.txt" } },
        ],
        diff: fileDiff("a.txt"),
      },
      { calls: [bash("npm test", 1)], diff: fileDiff("a.txt") },
      { calls: [view("a.txt")] },
      { calls: [bash("sed -i s/x/y/ a.txt")], diff: `${fileDiff("a.txt")}+y\n` },
      { calls: [bash("npm test", 0)], diff: `${fileDiff("a.txt")}+y\n` },
      {
        calls: [
          {
            name: "update_plan",
            input: { plan: [{ step: "Make a.txt say two", status: "done" }] },
          },
        ],
        plan: "done Make a.txt say two",
      },
      { calls: [bash("git status")], diff: `${fileDiff("a.txt")}+y\n` },
    ]);
    expect(signals).toEqual([]);
  });

  it("read the files of a diff and what their lines point to", () => {
    expect(diffFiles(fileDiff("a b.txt", "src/x.ts")).map((f) => f.path)).toEqual([
      "a b.txt",
      "src/x.ts",
    ]);
    expect(pointsTo("see Parser.ts for details", "src/parser.ts")).toBe(true);
    expect(pointsTo("the parsers module", "src/parser.ts")).toBe(false);
    expect(pointsTo("fix the parser", "test/parser.test.ts")).toBe(true);
    expect(pointsTo("an io error", "io.ts")).toBe(false);
  });
});
