// GitHub's writes after the wall clock stepped back: Octokit's throttling spaces them with
// Bottleneck, which reckons by `Date.now()`, so a plain group makes the next write wait as long
// as the step. Found by the fault suite (test/faults): after a worker's clock went back ten
// minutes, every write of that worker waited ten minutes. The groups Stamina gives the plugin
// (src/github/steady-throttle.ts) start a fresh limiter once the clock stepped back.
import Bottleneck from "bottleneck";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { steadyGroup } from "../../src/github/steady-throttle.ts";

afterEach(() => vi.restoreAllMocks());

const TEN_MINUTES = 10 * 60_000;

/** Two writes a second apart in `group`, the wall clock stepped back ten minutes between. */
async function secondWriteAfterAStepBack(group: Bottleneck.Group): Promise<"written" | "waiting"> {
  const real = Date.now.bind(Date);
  let shift = 0;
  vi.spyOn(Date, "now").mockImplementation(() => real() + shift);
  await group.key("app").schedule(() => Promise.resolve("first"));
  shift = -TEN_MINUTES;
  const second = group.key("app").schedule(() => Promise.resolve("written" as const));
  const waited = sleep(3_000, "waiting" as const);
  return Promise.race([second, waited]);
}

const writes = () => new Bottleneck.Group({ maxConcurrent: 1, minTime: 1_000 });

describe("the throttling groups after the wall clock stepped back", () => {
  it("a plain group holds the next write for the length of the step", async () => {
    expect(await secondWriteAfterAStepBack(writes())).toBe("waiting");
  });

  it("a steady group writes it after the usual second", async () => {
    expect(await secondWriteAfterAStepBack(steadyGroup(writes()))).toBe("written");
  });

  it("a clock that steps forward or drifts keeps the same limiter", () => {
    let now = 1_000_000;
    const group = steadyGroup(writes(), () => now);
    const first = group.key("app");
    now += 60_000; // forward
    expect(group.key("app")).toBe(first);
    now -= 1_000; // drift back under the step's bound
    expect(group.key("app")).toBe(first);
    now -= TEN_MINUTES;
    expect(group.key("app")).not.toBe(first);
  });
});
