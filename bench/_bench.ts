// What every benchmark is: the figures it promises (each with its unit and, where the product has
// one, its target) and a run that measures them. bench/run.ts prints what a run returns and
// refuses a run that leaves out a promised figure or prints one it did not promise, so nothing
// is printed that was not measured and nothing promised goes missing unnoticed.

export interface BenchOptions {
  /**
   * The small form `npm test` runs (seconds): the same code path with less data and fewer
   * rounds, so a benchmark cannot rot unnoticed. Its figures are printed, never judged.
   */
  small: boolean;
}

export interface Figure {
  name: string;
  value: number;
  unit: string;
}

/** The bound a figure must keep: at most, at least, or exactly. */
export interface Target {
  atMost?: number;
  atLeast?: number;
  equals?: number;
}

export interface Promised {
  name: string;
  unit: string;
  target?: Target;
}

export interface Benchmark {
  figures: readonly Promised[];
  run(options: BenchOptions): Promise<Figure[]>;
}

/** Whether `value` keeps `target`; undefined when the figure has none. */
export function holds(value: number, target: Target | undefined): boolean | undefined {
  if (target === undefined) return undefined;
  if (target.atMost !== undefined && !(value <= target.atMost)) return false;
  if (target.atLeast !== undefined && !(value >= target.atLeast)) return false;
  if (target.equals !== undefined && value !== target.equals) return false;
  return true;
}

export function describeTarget(target: Target | undefined): string {
  if (target === undefined) return "";
  const parts: string[] = [];
  if (target.equals !== undefined) parts.push(`= ${target.equals}`);
  if (target.atLeast !== undefined) parts.push(`>= ${target.atLeast}`);
  if (target.atMost !== undefined) parts.push(`<= ${target.atMost}`);
  return parts.join(", ");
}

/**
 * The figures of `returned` checked against `promised`: every promised name once, nothing else,
 * every value a finite number, in the unit promised. Throws a sentence naming what is wrong.
 */
export function checkFigures(
  benchmark: string,
  promised: readonly Promised[],
  returned: readonly Figure[],
): void {
  const problems: string[] = [];
  const byName = new Map(promised.map((p) => [p.name, p]));
  const seen = new Set<string>();
  for (const figure of returned) {
    const promise = byName.get(figure.name);
    if (promise === undefined) problems.push(`${figure.name} is printed but not promised`);
    else if (promise.unit !== figure.unit)
      problems.push(`${figure.name} is in ${figure.unit}, promised in ${promise.unit}`);
    if (seen.has(figure.name)) problems.push(`${figure.name} is printed twice`);
    seen.add(figure.name);
    if (!Number.isFinite(figure.value)) problems.push(`${figure.name} is ${figure.value}`);
  }
  for (const name of byName.keys()) {
    if (!seen.has(name)) problems.push(`${name} is promised but was not measured`);
  }
  if (problems.length > 0) {
    throw new Error(`benchmark ${benchmark}: ${problems.join("; ")}`);
  }
}
