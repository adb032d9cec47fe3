// The glance: a level and its reasons from the charts' last points.
import { describe, expect, it } from "vitest";
import { runHealth } from "../../../src/audit/health/index.ts";
import { chain } from "../fixture.ts";
import { bash, edit, health, HEALTHY, start } from "./events.ts";

describe("the glance", () => {
  it("is healthy on a run where nothing went wrong", () => {
    const run = runHealth(
      chain([start("Fix a.txt"), ...bash(1, "cat a.txt"), ...edit(2, "a.txt")]),
    );
    expect(run.glance).toEqual(HEALTHY);
  });

  it("is unhealthy when more than half of the last 10 steps' calls failed", () => {
    const run = runHealth(
      chain([...bash(1, "npm test", 1), ...bash(2, "npm test", 1), ...bash(2, "ls")]),
    );
    expect(run.glance).toEqual({
      level: "unhealthy",
      reasons: ["67% of the tool calls of the last 10 steps failed"],
    });
  });

  it("is unhealthy on a watchdog pause or a budget used up, and lists what to watch too", () => {
    const run = runHealth(
      chain([
        start("Fix a.txt", { steps: 2, tokens: 1000, dollars: 10, minutes: 60 }),
        ...edit(1, "b.txt"),
        health(1),
        { type: "watchdog.nudge", data: { step: 2, rule: "stall", note: "n" } },
        { type: "watchdog.pause", data: { step: 2, rule: "stall", reason: "r" } },
      ]),
    );
    expect(run.glance).toEqual({
      level: "unhealthy",
      reasons: [
        "the watchdog paused the run 1 time",
        "the steps budget is used up (100%)",
        "1 file changed that neither the issue nor the plan name",
      ],
    });
  });

  it("watches a nudge and a budget mostly used", () => {
    const run = runHealth(
      chain([
        start("Fix a.txt", { steps: 5, tokens: 1000, dollars: 10, minutes: 60 }),
        ...bash(4, "ls"),
        { type: "watchdog.nudge", data: { step: 4, rule: "stall", note: "n" } },
      ]),
    );
    expect(run.glance).toEqual({
      level: "watch",
      reasons: ["the watchdog nudged the model 1 time", "80% of the steps budget is used"],
    });
  });
});
