// The Anthropic Messages API as the agent's model port: always streaming,
// with the SDK's own retries (which honour retry-after) for 429, 529 and
// connection errors.
import Anthropic from "@anthropic-ai/sdk";
import type { ModelPort, ModelRequest } from "../agent/ports.ts";
import { costOf, priceOf } from "./prices.ts";

/** A model with no known price: Stamina will not spend on it blind. */
export class UnpricedModelError extends Error {
  constructor(readonly model: string) {
    super(
      `The model ${model} has no entry in Stamina's price table, so its spend cannot be counted against the budget; choose a listed model in .github/stamina.yml.`,
    );
    this.name = "UnpricedModelError";
  }
}

export interface AnthropicModelOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  maxRetries?: number;
  /** Per-request timeout; a long streamed turn may take minutes. */
  timeoutMs?: number;
}

export function createAnthropicModel(options: AnthropicModelOptions): ModelPort {
  const price = priceOf(options.model);
  if (price === undefined) throw new UnpricedModelError(options.model);
  const client = new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? null,
    maxRetries: options.maxRetries ?? 4,
    timeout: options.timeoutMs ?? 10 * 60_000,
  });
  return {
    model: options.model,
    cost: (usage) => costOf(price, usage),
    async complete(request: ModelRequest, signal?: AbortSignal) {
      const stream = client.messages.stream(
        {
          model: options.model,
          max_tokens: request.maxTokens,
          system: request.system,
          messages: request.messages,
          tools: request.tools,
        },
        { signal },
      );
      return stream.finalMessage();
    },
  };
}
