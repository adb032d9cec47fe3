// What model tokens cost, in US dollars per million tokens, so a run can
// count its spend and stop at its dollar budget. A model missing here has no
// known price, and a run refuses to start on it rather than spend blind.
// Figures: Anthropic's published list prices for the Claude API.
import type Anthropic from "@anthropic-ai/sdk";

export interface ModelPrice {
  input: number;
  output: number;
  /** Writing the prompt cache (5-minute lifetime). */
  cacheWrite: number;
  cacheRead: number;
}

/** The usual cache multipliers on the input price: writes 1.25×, reads 0.1×. */
function standard(input: number, output: number): ModelPrice {
  return { input, output, cacheWrite: input * 1.25, cacheRead: input * 0.1 };
}

const PRICES: Record<string, ModelPrice> = {
  "claude-sonnet-5-5": standard(2, 10),
  "claude-sonnet-5": standard(2, 10),
  "claude-sonnet-4-6": standard(3, 15),
  "claude-sonnet-4-5": standard(3, 15),
  "claude-opus-5": standard(5, 25),
  "claude-opus-4-5": standard(5, 25),
  "claude-haiku-4-5": standard(1, 5),
};

/** The price of a model id, dated suffixes (`-20251001`) included; undefined when unknown. */
export function priceOf(model: string): ModelPrice | undefined {
  return PRICES[model] ?? PRICES[model.replace(/-\d{8}$/, "")];
}

export function knownModels(): string[] {
  return Object.keys(PRICES);
}

/** Dollars for one response's usage: uncached input, cache writes, cache reads and output. */
export function costOf(price: ModelPrice, usage: Anthropic.Usage): number {
  const perToken = (n: number | null | undefined, dollarsPerMillion: number) =>
    ((n ?? 0) * dollarsPerMillion) / 1_000_000;
  return (
    perToken(usage.input_tokens, price.input) +
    perToken(usage.cache_creation_input_tokens, price.cacheWrite) +
    perToken(usage.cache_read_input_tokens, price.cacheRead) +
    perToken(usage.output_tokens, price.output)
  );
}
