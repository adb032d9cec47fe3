// The Anthropic Messages API as the agent's model port: always streaming,
// with the SDK's own retries (which honour retry-after) for 429, 529 and
// connection errors.
import Anthropic from "@anthropic-ai/sdk";
import type { ModelPort, ModelRequest } from "../agent/ports.ts";

export interface AnthropicModelOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  maxRetries?: number;
  /** Per-request timeout; a long streamed turn may take minutes. */
  timeoutMs?: number;
}

export function createAnthropicModel(options: AnthropicModelOptions): ModelPort {
  const client = new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? null,
    maxRetries: options.maxRetries ?? 4,
    timeout: options.timeoutMs ?? 10 * 60_000,
  });
  return {
    model: options.model,
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
