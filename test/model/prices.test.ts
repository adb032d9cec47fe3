// The price table and what a response costs, cache reads and writes included.
import { describe, expect, it } from "vitest";
import { createAnthropicModel, UnpricedModelError } from "../../src/model/anthropic.ts";
import { costOf, knownModels, priceOf } from "../../src/model/prices.ts";
import { DEFAULT_MODEL } from "../../src/policy/config.ts";

describe("prices", () => {
  it("knows the default model, and dated ids by their family", () => {
    expect(priceOf(DEFAULT_MODEL)).toBeDefined();
    expect(priceOf("claude-haiku-4-5-20251001")).toEqual(priceOf("claude-haiku-4-5"));
    expect(priceOf("claude-imaginary-9")).toBeUndefined();
  });

  it("knows no price for the names every object has", () => {
    // `model: constructor` once passed the config's price check and ran with a price of NaN.
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
      expect(priceOf(name), name).toBeUndefined();
      expect(priceOf(`${name}-20251001`), name).toBeUndefined();
    }
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

  it("prices the 1-hour cache write tier at 2× input when the usage breaks writes down", () => {
    const price = priceOf("claude-sonnet-5-5")!;
    const cost = costOf(price, {
      input_tokens: 0,
      output_tokens: 0,
      cache_creation_input_tokens: 3_000_000,
      cache_creation: {
        ephemeral_5m_input_tokens: 1_000_000,
        ephemeral_1h_input_tokens: 2_000_000,
      },
      cache_read_input_tokens: 0,
    } as Parameters<typeof costOf>[1]);
    // Sonnet 5.5: $2.50 per million 5-minute writes, $4 per million 1-hour writes.
    expect(cost).toBeCloseTo(2.5 + 2 * 4, 10);
  });

  it("prices every listed model, cache tiers included, from its input price", () => {
    for (const model of knownModels()) {
      const price = priceOf(model)!;
      expect(price.cacheWrite).toBeCloseTo(price.input * 1.25, 10);
      expect(price.cacheWrite1h).toBeCloseTo(price.input * 2, 10);
      expect(price.cacheRead).toBeCloseTo(price.input * 0.1, 10);
    }
    expect(priceOf("claude-opus-5")).toMatchObject({ input: 5, output: 25 });
    expect(priceOf("claude-haiku-4-5")).toMatchObject({ input: 1, output: 5 });
    expect(priceOf("claude-sonnet-4-6")).toMatchObject({ input: 3, output: 15 });
  });

  it("refuses to create a model port for a model with no price", () => {
    expect(() => createAnthropicModel({ apiKey: "sk-ant-x", model: "claude-imaginary-9" })).toThrow(
      UnpricedModelError,
    );
  });
});
