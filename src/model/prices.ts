// What model tokens cost, in US dollars per million tokens, so a run can
// count its spend and stop at its dollar budget. A model missing here has no
// known price, and a run refuses to start on it rather than spend blind.
// Figures: Anthropic's published list prices for the Claude API, which Bedrock's
// and Vertex's global endpoints charge too (their regional endpoints cost more).
import type Anthropic from "@anthropic-ai/sdk";
import { familyOf } from "./model-ids.ts";

export interface ModelPrice {
  input: number;
  output: number;
  /** Writing the prompt cache with the default 5-minute lifetime. */
  cacheWrite: number;
  /** Writing the prompt cache with a 1-hour lifetime (`ttl: "1h"`). */
  cacheWrite1h: number;
  cacheRead: number;
}

/** The cache multipliers on the input price: 5-minute writes 1.25×, 1-hour writes 2×, reads 0.1×. */
function standard(input: number, output: number): ModelPrice {
  return {
    input,
    output,
    cacheWrite: input * 1.25,
    cacheWrite1h: input * 2,
    cacheRead: input * 0.1,
  };
}

/** The day the table below was checked against the published prices, for the cost shown on GitHub. */
export const PRICES_DATE = "2026-11-22";

const PRICES: Record<string, ModelPrice> = {
  "claude-sonnet-5-5": standard(2, 10),
  "claude-sonnet-5": standard(2, 10),
  "claude-sonnet-4-6": standard(3, 15),
  "claude-sonnet-4-5": standard(3, 15),
  "claude-opus-5": standard(5, 25),
  "claude-opus-4-5": standard(5, 25),
  "claude-haiku-4-5": standard(1, 5),
};

/**
 * The price of a model id, dated suffixes (`-20251001`) included; undefined when unknown. Own
 * entries only: `constructor` or `toString` is a property of every object, not a model.
 */
export function priceOf(model: string): ModelPrice | undefined {
  const own = (id: string) => (Object.hasOwn(PRICES, id) ? PRICES[id] : undefined);
  return own(model) ?? own(familyOf(model));
}

export function knownModels(): string[] {
  return Object.keys(PRICES);
}

/**
 * Dollars for one response's usage: uncached input, cache writes, cache reads and output.
 * `cache_creation_input_tokens` is the total written; when the response breaks it down by
 * lifetime (`cache_creation`), the 1-hour part is priced as such and the rest at the 5-minute rate.
 */
export function costOf(price: ModelPrice, usage: Anthropic.Usage): number {
  const perToken = (n: number | null | undefined, dollarsPerMillion: number) =>
    ((n ?? 0) * dollarsPerMillion) / 1_000_000;
  const written1h = usage.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  const written5m = usage.cache_creation?.ephemeral_5m_input_tokens ?? 0;
  const written = Math.max(usage.cache_creation_input_tokens ?? 0, written1h + written5m);
  return (
    perToken(usage.input_tokens, price.input) +
    perToken(written - written1h, price.cacheWrite) +
    perToken(written1h, price.cacheWrite1h) +
    perToken(usage.cache_read_input_tokens, price.cacheRead) +
    perToken(usage.output_tokens, price.output)
  );
}
