// A model call's tokens (or a run's) in words. What goes into the model is the
// uncached input plus what the prompt cache served and what it stored; a run
// that caches well reads most of its input from the cache, so the uncached
// part alone ("0 in") says nothing of what was sent.

export interface TokenCounts {
  /** Input the cache did not serve or store (the API's `input_tokens`). */
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
}

export const NO_TOKENS: TokenCounts = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 };

/** The counts of a recorded `usage` (the Messages API's shape); anything not a count is 0. */
export function tokenCountsOf(usage: unknown): TokenCounts {
  const u = typeof usage === "object" && usage !== null ? (usage as Record<string, unknown>) : {};
  return {
    input: count(u.input_tokens),
    cacheRead: count(u.cache_read_input_tokens),
    cacheWrite: count(u.cache_creation_input_tokens),
    output: count(u.output_tokens),
  };
}

export function addTokens(a: TokenCounts, b: TokenCounts): TokenCounts {
  return {
    input: a.input + b.input,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
    output: a.output + b.output,
  };
}

/** "12,345 tokens in (12,000 from cache, 300 written to cache), 800 out": all input, cache included. */
export function describeTokens(t: TokenCounts): string {
  const cache = [
    t.cacheRead > 0 && `${n(t.cacheRead)} from cache`,
    t.cacheWrite > 0 && `${n(t.cacheWrite)} written to cache`,
  ].filter((p): p is string => p !== false);
  const input = t.input + t.cacheRead + t.cacheWrite;
  return `${n(input)} tokens in${cache.length > 0 ? ` (${cache.join(", ")})` : ""}, ${n(t.output)} out`;
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}

function n(value: number): string {
  return value.toLocaleString("en-US");
}
