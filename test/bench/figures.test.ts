import { describe, expect, it } from "vitest";
import { checkFigures, holds, type Promised } from "../../bench/_bench.ts";
import { alternate, ratioFigures } from "../../bench/_rounds.ts";

const promised: Promised[] = [
  { name: "x.ms", unit: "ms" },
  { name: "x.ratio", unit: "x", target: { atMost: 1.3 } },
];

describe("a benchmark's figures", () => {
  it("are accepted when each promised figure is printed once, finite, in its unit", () => {
    expect(() =>
      checkFigures("x", promised, [
        { name: "x.ms", value: 12.5, unit: "ms" },
        { name: "x.ratio", value: 1.1, unit: "x" },
      ]),
    ).not.toThrow();
  });

  it("are refused when one is missing, unpromised, doubled, not a number or in another unit", () => {
    expect(() => checkFigures("x", promised, [{ name: "x.ms", value: 1, unit: "ms" }])).toThrow(
      "x.ratio is promised but was not measured",
    );
    expect(() =>
      checkFigures("x", promised, [
        { name: "x.ms", value: 1, unit: "ms" },
        { name: "x.ratio", value: 1, unit: "x" },
        { name: "x.peak", value: 1, unit: "tokens" },
      ]),
    ).toThrow("x.peak is printed but not promised");
    expect(() =>
      checkFigures("x", promised, [
        { name: "x.ms", value: 1, unit: "ms" },
        { name: "x.ms", value: 2, unit: "ms" },
        { name: "x.ratio", value: 1, unit: "x" },
      ]),
    ).toThrow("x.ms is printed twice");
    expect(() =>
      checkFigures("x", promised, [
        { name: "x.ms", value: Number.NaN, unit: "ms" },
        { name: "x.ratio", value: 1, unit: "x" },
      ]),
    ).toThrow("x.ms is NaN");
    expect(() =>
      checkFigures("x", promised, [
        { name: "x.ms", value: 1, unit: "s" },
        { name: "x.ratio", value: 1, unit: "x" },
      ]),
    ).toThrow("x.ms is in s, promised in ms");
  });

  it("hold their targets only within the bound", () => {
    expect(holds(1.3, { atMost: 1.3 })).toBe(true);
    expect(holds(1.31, { atMost: 1.3 })).toBe(false);
    expect(holds(0, { equals: 0 })).toBe(true);
    expect(holds(1, { equals: 0 })).toBe(false);
    expect(holds(Number.NaN, { atMost: 1 })).toBe(false);
    expect(holds(5, undefined)).toBeUndefined();
  });
});

describe("alternating rounds", () => {
  it("take turns going first and give one ratio a round, with the median and spread", async () => {
    const order: string[] = [];
    const ours = [30, 10, 20];
    const base = [10, 10, 10];
    const rounds = await alternate(3, {
      ours: (round) => (order.push(`ours${round}`), Promise.resolve(ours[round]!)),
      base: (round) => (order.push(`base${round}`), Promise.resolve(base[round]!)),
    });
    expect(order).toEqual(["ours0", "base0", "base1", "ours1", "ours2", "base2"]);
    expect(rounds.ratios).toEqual([3, 1, 2]);
    expect(ratioFigures("x.ratio", rounds.ratios)).toEqual([
      { name: "x.ratio", value: 2, unit: "x" },
      { name: "x.ratio_min", value: 1, unit: "x" },
      { name: "x.ratio_max", value: 3, unit: "x" },
    ]);
  });
});
