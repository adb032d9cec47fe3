// Timing benchmarks compare two sides (ours and a baseline) measured in the same run. One sample
// of each swings with whatever else the machine does, so the sides alternate over several rounds
// (ours first in one round, the baseline first in the next) and each round gives one ratio; the
// median ratio is the figure, and the smallest and largest show how far it can be trusted.
import type { Figure, Promised, Target } from "./_bench.ts";
import { median } from "./_stats.ts";

export interface Rounds {
  ours: number[];
  base: number[];
  /** ours / base, one per round. */
  ratios: number[];
}

/** Runs `rounds` rounds of both sides, alternating which goes first. */
export async function alternate(
  rounds: number,
  sides: { ours: (round: number) => Promise<number>; base: (round: number) => Promise<number> },
): Promise<Rounds> {
  const result: Rounds = { ours: [], base: [], ratios: [] };
  for (let round = 0; round < rounds; round++) {
    let ours: number;
    let base: number;
    if (round % 2 === 0) {
      ours = await sides.ours(round);
      base = await sides.base(round);
    } else {
      base = await sides.base(round);
      ours = await sides.ours(round);
    }
    result.ours.push(ours);
    result.base.push(base);
    result.ratios.push(ours / base);
  }
  return result;
}

/** `name` (the median ratio), `name_min` and `name_max`. */
export function ratioFigures(name: string, ratios: readonly number[]): Figure[] {
  return [
    { name, value: median([...ratios]), unit: "x" },
    { name: `${name}_min`, value: Math.min(...ratios), unit: "x" },
    { name: `${name}_max`, value: Math.max(...ratios), unit: "x" },
  ];
}

/** The promises of ratioFigures(name): the median with `target`, and its spread. */
export function ratioPromises(name: string, target?: Target): Promised[] {
  return [
    { name, unit: "x", ...(target ? { target } : {}) },
    { name: `${name}_min`, unit: "x" },
    { name: `${name}_max`, unit: "x" },
  ];
}
