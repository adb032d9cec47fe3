// The errors chart: failing calls and retries so far, and the failing share of the last 10 steps.
import { describe, expect, it } from "vitest";
import { runHealth } from "../../../src/audit/health/index.ts";
import { chain } from "../fixture.ts";
import { bash, call, view, values } from "./events.ts";

describe("the errors chart", () => {
  it("counts tool errors, non-zero exits and failing checks, but not a search that found nothing", () => {
    const run = runHealth(
      chain([
        ...view(1, "missing.txt", true),
        ...bash(2, "npm test", 1),
        ...bash(2, "grep -rn needle src", 1, 0),
        ...call(3, "run_checks", {}, { passed: false }),
        ...call(3, "run_checks", {}, { passed: true }),
        ...bash(4, "ls"),
      ]),
    );
    expect(values(run, "errors", "failing tool calls (so far)")).toEqual([1, 2, 3, 3]);
  });

  it("counts retried steps and retried model calls", () => {
    const run = runHealth(
      chain([
        ...bash(1, "ls"),
        { type: "model.retry", data: { step: 2, attempt: 1, status: 529 } },
        { type: "model.retry", data: { step: 2, attempt: 2, status: 529 } },
        ...bash(2, "ls"),
        { type: "step.retried", data: { step: 3, reason: "the worker stopped mid-step" } },
        ...bash(3, "ls"),
      ]),
    );
    expect(values(run, "errors", "retries: steps again and model calls again (so far)")).toEqual([
      0, 2, 3,
    ]);
  });

  it("shares the failing calls of the last 10 steps, older ones forgotten", () => {
    const entries = [...bash(1, "false", 1), ...bash(1, "true"), ...bash(2, "false", 1)];
    for (let step = 3; step <= 12; step++) entries.push(...bash(step, `echo ${step}`));
    const run = runHealth(chain(entries));
    const share = values(run, "errors", "share of tool calls failing in the last 10 steps");
    // Step 1: 1 of 2; step 2: 2 of 3; step 10: 2 of 11; step 11 drops step 1's calls, step 12 step 2's.
    expect(share.slice(0, 3)).toEqual([1 / 2, 2 / 3, 2 / 4]);
    expect(share.slice(9)).toEqual([2 / 11, 1 / 10, 0]);
  });
});
