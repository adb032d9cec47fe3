// The Claude API as the agent's model port: the factory's default provider, kept under its
// own name for the callers that only ever talk to Anthropic.
import type { ModelPort } from "./types.ts";
import { createModel } from "./factory.ts";
import type { RetryPolicy } from "./retry.ts";

export { UnpricedModelError } from "./errors.ts";

export interface AnthropicModelOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  /** At most this many retries of one call, within the retry window. */
  maxRetries?: number;
  /** Per attempt, until the response begins; a long streamed turn may take minutes. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  streamIdleMs?: number;
}

export function createAnthropicModel(options: AnthropicModelOptions): ModelPort {
  return createModel({
    model: options.model,
    provider: { provider: "anthropic", apiKey: options.apiKey, baseURL: options.baseURL },
    retry: { maxRetries: options.maxRetries, ...options.retry },
    timeoutMs: options.timeoutMs,
    streamIdleMs: options.streamIdleMs,
  });
}
