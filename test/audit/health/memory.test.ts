// The memory chart: compactions and clearings as the context manager states them, rereads after
// a compaction, and the shares of the issue and the plan the request carries.
import { describe, expect, it } from "vitest";
import { runHealth } from "../../../src/audit/health/index.ts";
import { chain } from "../fixture.ts";
import { bash, health, points, values, view } from "./events.ts";

describe("the memory chart", () => {
  it("carries the totals context.health states forward", () => {
    const run = runHealth(
      chain([
        health(1),
        health(2, { clearings: 1, serverClearedTokens: 5000, clearedResults: 3 }),
        health(3, { compactions: 1, clearings: 1, serverClearedTokens: 5000, clearedResults: 3 }),
        ...bash(4, "ls"),
      ]),
    );
    expect(values(run, "memory", "compactions")).toEqual([0, 0, 1, 1]);
    expect(values(run, "memory", "clearings")).toEqual([0, 1, 1, 1]);
    expect(values(run, "memory", "tokens cleared by the API")).toEqual([0, 5000, 5000, 5000]);
    expect(values(run, "memory", "tool results cleared in the view")).toEqual([0, 3, 3, 3]);
  });

  it("counts a thing read before a compaction and read again after it, once per compaction", () => {
    const run = runHealth(
      chain([
        ...view(1, "a.txt"),
        ...bash(1, "cat b.txt"),
        health(1),
        ...view(2, "./a.txt"),
        health(2),
        // Step 3's request was compacted: a.txt and `cat b.txt` were read before it.
        ...view(3, "a.txt"),
        ...view(3, "a.txt"),
        ...view(3, "c.txt"),
        health(3, { compactions: 1 }),
        ...bash(4, "cat  b.txt"),
        ...view(4, "c.txt"),
        ...view(4, "missing.txt", true),
        health(4, { compactions: 1 }),
        // A second compaction: c.txt, read after the first, is lost now too.
        ...view(5, "c.txt"),
        ...view(5, "a.txt"),
        health(5, { compactions: 2 }),
      ]),
    );
    expect(values(run, "memory", "rereads after a compaction")).toEqual([0, 0, 1, 2, 4]);
  });

  it("plots the shares of the issue and the plan the request carries where recorded", () => {
    const run = runHealth(
      chain([
        health(1),
        health(2, { carries: { issue: 1, plan: 1 } }),
        health(3, { carries: { issue: 0.5 } }),
      ]),
    );
    expect(points(run, "memory", "share of the issue the request carries")).toEqual([
      [2, 1],
      [3, 0.5],
    ]);
    expect(points(run, "memory", "share of the plan the request carries")).toEqual([[2, 1]]);
  });
});
