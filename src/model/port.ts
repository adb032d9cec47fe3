// The model port over any provider's client: prices each response, streams each call, and
// sends the same request again, unchanged, while the model is overloaded or out of reach. Each
// response's usage is what the call is billed for, a server-side compaction included (usage.ts).
import type { ModelPort, ModelRetry } from "./types.ts";
import type { ModelPrice } from "./prices.ts";
import { costOf } from "./prices.ts";
import type { RetryPolicy } from "./retry.ts";
import { withRetries } from "./retry.ts";
import type { MessagesClient } from "./stream.ts";
import { streamOnce, streamParams } from "./stream.ts";
import { billedUsage } from "./usage.ts";

export interface ModelPortOptions {
  client: MessagesClient;
  /** The id as the provider names it: what is sent, and what the audit log records. */
  providerModelId: string;
  price: ModelPrice;
  retry: RetryPolicy;
  /** How long a stream may send nothing before the attempt counts as a dropped connection. */
  streamIdleMs: number;
  /** Told of every retry of every call (the operators' log), before the caller's own hook. */
  onRetry?: (retry: ModelRetry) => void;
}

export function createModelPort(options: ModelPortOptions): ModelPort {
  const { client, providerModelId, price, retry, streamIdleMs } = options;
  return {
    model: providerModelId,
    cost: (usage) => costOf(price, usage),
    complete(request, signal, hooks) {
      // Built once: a retry resends exactly what the failed attempt sent.
      const params = streamParams(request, providerModelId);
      return withRetries(
        () => streamOnce(client, request, params, signal, streamIdleMs),
        retry,
        signal,
        (attempt) => {
          options.onRetry?.(attempt);
          return hooks?.onRetry?.(attempt);
        },
        // What the call is billed for: a server-side compaction's own iteration included.
      ).then((message) => ({ ...message, usage: billedUsage(message.usage) }));
    },
  };
}
