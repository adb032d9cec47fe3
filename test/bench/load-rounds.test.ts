import { describe, expect, it } from "vitest";
import { fairness, fairShares, peakHeld } from "../../bench/_fairness.ts";
import type { FleetResult } from "../../bench/_fleet.ts";
import { judge } from "../../bench/load.ts";

const shape = { demands: [2, 1], slots: 2, cap: 1 };

/** A round of `shape` as the store would leave it: runs one after another on installation 1. */
function round(overrides: Partial<FleetResult> = {}): FleetResult {
  return {
    runs: [
      { installation: 1, state: "succeeded", steps: 3 },
      { installation: 1, state: "succeeded", steps: 3 },
      { installation: 2, state: "succeeded", steps: 3 },
    ],
    held: [
      { installation: 1, from: 0, to: 1_000 },
      { installation: 2, from: 100, to: 1_500 },
      { installation: 1, from: 1_000, to: 2_000 },
    ],
    started: [
      { installation: 1, at: 0 },
      { installation: 2, at: 100 },
      { installation: 1, at: 1_000 },
    ],
    makespanMs: 3_000,
    idleRssMb: 100,
    peakRssMb: 160,
    ...overrides,
  };
}

describe("the load benchmark's reading of its runs", () => {
  it("counts the runs held at once, in all and per installation", () => {
    const peak = peakHeld([
      { installation: 1, from: 0, to: 10 },
      { installation: 1, from: 5, to: 15 },
      { installation: 2, from: 6, to: 8 },
      // Claimed at the moment another of its installation's runs ended: not held with it.
      { installation: 1, from: 15, to: 20 },
      { installation: 2, from: 12, to: 30 },
    ]);
    expect(peak.total).toBe(3);
    expect([...peak.perInstallation].sort()).toEqual([
      [1, 2],
      [2, 1],
    ]);
  });

  it("shares runs max-min fairly: none given more than it asked for, the rest shared", () => {
    const shares = fairShares(
      new Map([
        [1, 8],
        [2, 1],
        [3, 3],
      ]),
      9,
    );
    expect([...shares].sort()).toEqual([
      [1, 5],
      [2, 1],
      [3, 3],
    ]);
    expect(
      [
        ...fairShares(
          new Map([
            [1, 8],
            [2, 3],
          ]),
          4,
        ),
      ].sort(),
    ).toEqual([
      [1, 2],
      [2, 2],
    ]);
  });

  it("is 1 when each installation began its share by the time half the runs had begun", () => {
    const demands = new Map([
      [1, 6],
      [2, 2],
    ]);
    // By the 4th start, each of the two had begun 2: its share of 4 (installation 2 asked for 2).
    const started = [
      { installation: 1, at: 1 },
      { installation: 2, at: 2 },
      { installation: 1, at: 3 },
      { installation: 2, at: 4 },
      ...[40, 41, 42, 43].map((at) => ({ installation: 1, at })),
    ];
    expect(fairness(started, demands)).toBe(1);
  });

  it("falls to 0 when an installation began nothing while half the runs had begun", () => {
    const demands = new Map([
      [1, 4],
      [2, 2],
    ]);
    const started = [1, 2, 3, 4].map((at) => ({ installation: 1, at }));
    started.push({ installation: 2, at: 50 }, { installation: 2, at: 51 });
    expect(fairness(started, demands)).toBe(0);
    // One of its two runs begun where its fair share was 1.5 of the 3 begun by then.
    started[2] = { installation: 2, at: 3 };
    expect(fairness(started, demands)).toBeCloseTo(1 / 1.5);
  });
});

describe("a round of the load benchmark", () => {
  it("gives its figures from what the runs left", () => {
    expect(judge(shape, round(), "sqlite")).toEqual({
      runs: 3,
      concurrent: 2,
      maxPerInstallation: 1,
      idleMb: 100,
      peakMb: 160,
      stepsPerS: 3,
      fairness: 1,
    });
  });

  it("fails when an installation held more runs at once than its cap", () => {
    const held = [...round().held];
    held[2] = { installation: 1, from: 900, to: 2_000 };
    expect(() => judge(shape, round({ held }), "postgres")).toThrow(
      "on postgres, installation 1 held 2 runs at once, past its cap of 1",
    );
  });

  it("fails when a run did not succeed, or fewer runs were made than asked for", () => {
    const runs = [...round().runs];
    runs[2] = { installation: 2, state: "failed", steps: 1 };
    expect(() => judge(shape, round({ runs }), "sqlite")).toThrow(
      "on sqlite, 3 runs were asked for, 3 made, 1 did not succeed: failed (installation 2)",
    );
    expect(() => judge(shape, round({ runs: runs.slice(0, 2) }), "sqlite")).toThrow(
      "3 runs were asked for, 2 made",
    );
  });
});
