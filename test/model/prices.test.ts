// The price table and what a response costs, cache reads and writes included.
import { describe, expect, it } from "vitest";
import { createAnthropicModel, UnpricedModelError } from "../../src/model/anthropic.ts";
import { costOf, priceOf } from "../../src/model/prices.ts";
import { DEFAULT_MODEL } from "../../src/policy/config.ts";

describe("prices", () => {
  it("knows the default model, and dated ids by their family", () => {
    expect(priceOf(DEFAULT_MODEL)).toBeDefined();
    expect(priceOf("claude-haiku-4-5-20251001")).toEqual(priceOf("claude-haiku-4-5"));
    expect(priceOf("claude-imaginary-9")).toBeUndefined();
  });

  it("prices uncached input, cache writes at 1.25×, cache reads at 0.1× and output", () => {
    const price = priceOf("claude-sonnet-5-5")!;
    const cost = costOf(price, {
      input_tokens: 1_000_000,
      cache_creation_input_tokens: 1_000_000,
      cache_read_input_tokens: 1_000_000,
      output_tokens: 1_000_000,
    } as Parameters<typeof costOf>[1]);
    expect(cost).toBeCloseTo(2 + 2.5 + 0.2 + 10, 10);
  });

  it("refuses to create a model port for a model with no price", () => {
    expect(() => createAnthropicModel({ apiKey: "sk-ant-x", model: "claude-imaginary-9" })).toThrow(
      UnpricedModelError,
    );
  });
});
