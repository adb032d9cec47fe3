// The spend chart: each budget's share used by the end of every step.
import { describe, expect, it } from "vitest";
import { runHealth } from "../../../src/audit/health/index.ts";
import { chain } from "../fixture.ts";
import { start, values } from "./events.ts";

const request = (step: number, elapsedMs: number) => ({
  type: "model.request",
  data: { step, model: "claude-sonnet-5-5", messages: step, elapsedMs },
});
const response = (step: number, cost: number, usage: Record<string, number>) => ({
  type: "model.response",
  data: { step, stopReason: "tool_use", usage, cost },
});

describe("the spend chart", () => {
  it("shares steps, tokens, dollars and minutes against the budget, the latest one counting", () => {
    const run = runHealth(
      chain([
        start("x", { steps: 4, tokens: 1000, dollars: 2, minutes: 10 }),
        request(1, 60_000),
        response(1, 0.5, { input_tokens: 100, output_tokens: 50, cache_read_input_tokens: 50 }),
        request(2, 180_000),
        response(2, 0.25, {
          input_tokens: 0,
          output_tokens: 100,
          cache_creation_input_tokens: 100,
        }),
        // A resumed run with a budget a writer extended.
        start("x", { steps: 8, tokens: 2000, dollars: 4, minutes: 20 }),
        request(3, 300_000),
        response(3, 0.25, { input_tokens: 200, output_tokens: 0 }),
      ]),
    );
    expect(values(run, "spend", "steps")).toEqual([0.25, 0.5, 3 / 8]);
    expect(values(run, "spend", "tokens")).toEqual([0.2, 0.4, 0.3]);
    expect(values(run, "spend", "dollars")).toEqual([0.25, 0.375, 0.25]);
    expect(values(run, "spend", "minutes")).toEqual([0.1, 0.3, 0.25]);
  });

  it("has no points without a budget in the log", () => {
    const run = runHealth(chain([request(1, 1000), response(1, 1, { input_tokens: 1 })]));
    expect(values(run, "spend", "dollars")).toEqual([]);
  });
});
