// What every fuzz file shares: how many inputs to try (STAMINA_FUZZ_RUNS=N tries N times as
// many, `npm run test:fuzz` ten times), the seed to reproduce a failure with (STAMINA_FUZZ_SEED), a watch on
// unhandled rejections for the whole file, what a message a person reads must not look like,
// and the summary line each file prints.
import type fc from "fast-check";
import { afterAll, beforeAll, expect } from "vitest";

/** `base` inputs in `npm test`; N times as many with STAMINA_FUZZ_RUNS=N. */
function runs(base: number): number {
  const factor = Number(process.env.STAMINA_FUZZ_RUNS);
  return Number.isInteger(factor) && factor > 0 ? base * factor : base;
}

/** fast-check's parameters: the runs, and the seed (and path) when one is given to reproduce. */
export function fuzzParameters(base: number): fc.Parameters<never> {
  const seed = Number(process.env.STAMINA_FUZZ_SEED);
  const path = process.env.STAMINA_FUZZ_PATH;
  return {
    numRuns: runs(base),
    ...(Number.isInteger(seed) && process.env.STAMINA_FUZZ_SEED !== "" ? { seed } : {}),
    ...(path ? { path } : {}),
  };
}

/**
 * Counts the inputs a file tried and the crashes among them, watches for unhandled rejections
 * from the first test to the last, and prints `fuzz AREA: N inputs, 0 crashes` at the end.
 */
export function fuzzArea(area: string): {
  tried(): void;
  /** `work`'s result; what it throws is a crash on `input`, counted and thrown with the input. */
  guard<T>(input: unknown, work: () => T): T;
} {
  let inputs = 0;
  let crashes = 0;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  beforeAll(() => {
    process.on("unhandledRejection", onRejection);
  });
  afterAll(() => {
    process.off("unhandledRejection", onRejection);
    console.log(
      `fuzz ${area}: ${inputs} inputs, ${crashes} crashes, ${rejections.length} unhandled rejections`,
    );
    expect(rejections.map(String)).toEqual([]);
  });
  return {
    tried: () => {
      inputs++;
    },
    guard<T>(input: unknown, work: () => T): T {
      const crash = (error: unknown): never => {
        crashes++;
        throw new Error(
          `crashed on ${safeJson(input)}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      };
      try {
        const result = work();
        return (result instanceof Promise ? result.catch(crash) : result) as T;
      } catch (error) {
        return crash(error);
      }
    },
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 2000) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * A message a person reads says what is wrong in words: not empty, no `undefined`, `null` or
 * `NaN` standing where a value should, no `[object Object]`, no stack frame, no JavaScript error
 * class (TypeError, "Cannot read properties"...).
 */
export function expectClearMessage(message: unknown, where = "message"): void {
  expect(typeof message, where).toBe("string");
  // zod's own wording names the type it was given ("expected string, received undefined").
  const text = (message as string).replace(
    /\breceived (undefined|NaN|null)\b/g,
    "received (its type)",
  );
  expect(text.trim(), where).not.toBe("");
  for (const bad of [
    /\bundefined\b/,
    /\bNaN\b/,
    /\[object \w+\]/,
    /^\s+at .+\(.+:\d+:\d+\)$/m,
    /\b(TypeError|ReferenceError|RangeError|SyntaxError)\b/,
    /Cannot read propert/,
    /is not a function/,
    /is not iterable/,
  ]) {
    expect(text, `${where}: ${text}`).not.toMatch(bad);
  }
}
