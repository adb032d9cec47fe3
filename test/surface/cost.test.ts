// The cost lines' words and figures, and the pull request body's cost section
// replaced in place by each round.
import { describe, expect, it } from "vitest";
import {
  costLines,
  costSection,
  withCostSection,
  type Cost,
  type CostReport,
} from "../../src/surface/cost.ts";

const cost = (
  input: number,
  cacheRead: number,
  cacheWrite: number,
  output: number,
  dollars: number,
): Cost => ({
  tokens: { input, cacheRead, cacheWrite, output },
  dollars,
});

function report(...rounds: Cost[]): CostReport {
  const names = ["the issue's run", "review round 1", "review round 2"];
  return {
    total: rounds.reduce((a, b) =>
      cost(
        a.tokens.input + b.tokens.input,
        a.tokens.cacheRead + b.tokens.cacheRead,
        a.tokens.cacheWrite + b.tokens.cacheWrite,
        a.tokens.output + b.tokens.output,
        a.dollars + b.dollars,
      ),
    ),
    rounds: rounds.map((c, i) => ({ runId: `r${i}`, name: names[i]!, cost: c })),
    current: `r${rounds.length - 1}`,
  };
}

describe("cost lines", () => {
  it("count cache reads and writes as input, and say the price table's date", () => {
    // Every input token a cache read: not "0 tokens in".
    expect(costLines(report(cost(0, 1_234_567, 0, 950, 0.25)))).toEqual([
      "**Cost so far:** 1.2M input tokens (1.2M cache read, 0 cache write), 950 output, $0.25 (prices of 2026-11-22).",
    ]);
    expect(costLines(report(cost(12, 40_000, 1_500, 12_345, 0.004)))[0]).toBe(
      "**Cost so far:** 42k input tokens (40k cache read, 1.5k cache write), 12k output, under $0.01 (prices of 2026-11-22).",
    );
  });

  it("are left out before the first model call", () => {
    expect(costLines(report(cost(0, 0, 0, 0, 0)))).toEqual([]);
  });

  it("add the round under way once there was more than one", () => {
    const lines = costLines(report(cost(1_000, 9_000, 0, 100, 1), cost(500, 500, 0, 10, 0.5)));
    expect(lines).toEqual([
      "**Cost so far:** 11k input tokens (9.5k cache read, 0 cache write), 110 output, $1.50 (prices of 2026-11-22).",
      "**This round** (review round 1): 1k input tokens (500 cache read, 0 cache write), 10 output, $0.50 (prices of 2026-11-22).",
    ]);
  });

  it("are replaced in the pull request's body, or put before its audit", () => {
    const first = costSection(report(cost(1, 0, 0, 1, 1)));
    const second = costSection(report(cost(1, 0, 0, 1, 1), cost(2, 0, 0, 2, 2)));
    expect(second).toContain("- Review round 1: 2 input tokens");
    const body = `Summary\n\n**Budget:** 1 of 50 steps.\n\n${first}\n\n## Audit\n\ndigest`;
    const updated = withCostSection(body, second, "## Audit");
    expect(updated).toBe(
      `Summary\n\n**Budget:** 1 of 50 steps.\n\n${second}\n\n## Audit\n\ndigest`,
    );
    expect(withCostSection("Summary\n\n## Audit\n\ndigest", first, "## Audit")).toBe(
      `Summary\n\n${first}\n\n## Audit\n\ndigest`,
    );
    expect(withCostSection("Summary", first, "## Audit")).toBe(`Summary\n\n${first}`);
  });
});
