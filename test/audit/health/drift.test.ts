// The drift chart: files outside the issue and the plan, plan rewrites, the watchdog's acts.
import { describe, expect, it } from "vitest";
import { runHealth } from "../../../src/audit/health/index.ts";
import { chain } from "../fixture.ts";
import { edit, plan, start, values } from "./events.ts";

describe("the drift chart", () => {
  it("counts each changed file neither the issue nor the plan so far names, once", () => {
    const run = runHealth(
      chain([
        start("Make parser.ts accept tabs"),
        ...edit(1, "/tmp/run/worktree/src/parser.ts"),
        ...edit(2, "src/lexer.ts"),
        ...edit(2, "src/lexer.ts"),
        ...plan(3, "Teach the tokenizer tabs"),
        ...edit(3, "src/tokenizer.ts"),
        ...edit(4, "./README.md"),
        ...edit(4, "test/parser.test.ts"),
      ]),
    );
    // lexer.ts (step 2) and README.md (step 4); the plan named the tokenizer before its edit,
    // and the issue names parser, so its test is in scope too.
    expect(values(run, "drift", "files changed outside the issue and the plan")).toEqual([
      0, 1, 1, 2,
    ]);
  });

  it("counts a plan whose steps changed as a rewrite, not one whose statuses did", () => {
    const run = runHealth(
      chain([
        ...plan(1, "Read the parser", "Fix tabs"),
        ...plan(2, { step: "Read the parser", status: "done" }, "Fix tabs"),
        ...plan(3, "Read the lexer", "Fix tabs"),
        ...plan(4, "Fix tabs", "Read the lexer"),
        ...plan(5, "Fix tabs"),
      ]),
    );
    expect(values(run, "drift", "plan rewrites")).toEqual([0, 0, 1, 1, 2]);
  });

  it("counts the watchdog's signals, nudges and pauses", () => {
    const run = runHealth(
      chain([
        { type: "watchdog.signal", data: { step: 2, rule: "stall", message: "m" } },
        { type: "watchdog.nudge", data: { step: 2, rule: "stall", note: "n" } },
        { type: "watchdog.signal", data: { step: 3, rule: "stall", message: "m" } },
        { type: "watchdog.pause", data: { step: 3, rule: "stall", reason: "r" } },
      ]),
    );
    expect(values(run, "drift", "watchdog signals")).toEqual([0, 1, 2]);
    expect(values(run, "drift", "watchdog nudges")).toEqual([0, 1, 1]);
    expect(values(run, "drift", "watchdog pauses")).toEqual([0, 0, 1]);
  });
});
