// The context chart: a point per step from that step's context.health event.
import { describe, expect, it } from "vitest";
import { runHealth } from "../../../src/audit/health/index.ts";
import { chain } from "../fixture.ts";
import { bash, health, HEALTHY, points } from "./events.ts";

describe("the context chart", () => {
  it("plots what each step sent and what the model counted", () => {
    const run = runHealth(
      chain([
        ...bash(1, "ls"),
        health(1, { bytes: 4000, input: 10, output: 50, cacheWrite: 1000 }),
        health(2, { bytes: 8000, input: 20, output: 60, cacheRead: 1000, cacheWrite: 900 }),
        { type: "git.secret_scan", data: { result: "clean", findings: [] } },
      ]),
    );
    expect(run.steps).toBe(2);
    expect(points(run, "context", "request size (bytes of JSON)")).toEqual([
      [1, 4000],
      [2, 8000],
    ]);
    expect(points(run, "context", "request size (estimated tokens, bytes / 4)")).toEqual([
      [1, 1000],
      [2, 2000],
    ]);
    expect(points(run, "context", "input tokens (not from the cache)")).toEqual([
      [1, 10],
      [2, 20],
    ]);
    expect(points(run, "context", "output tokens")).toEqual([
      [1, 50],
      [2, 60],
    ]);
    expect(points(run, "context", "cache read tokens")).toEqual([
      [1, 0],
      [2, 1000],
    ]);
    expect(points(run, "context", "cache write tokens")).toEqual([
      [1, 1000],
      [2, 900],
    ]);
  });

  it("shows a step recorded twice (re-executed after a crash) by its last record", () => {
    const run = runHealth(
      chain([health(1, { bytes: 400 }), health(2, { bytes: 800 }), health(2, { bytes: 1200 })]),
    );
    expect(points(run, "context", "request size (bytes of JSON)")).toEqual([
      [1, 400],
      [2, 1200],
    ]);
  });

  it("has no points, and no steps, for a log that recorded none", () => {
    const run = runHealth(chain([{ type: "run.claimed", data: { attempt: 1 } }]));
    expect(run.steps).toBe(0);
    expect(points(run, "context", "output tokens")).toEqual([]);
    expect(run.glance).toEqual(HEALTHY);
  });
});
