// One factory for the model port on every provider. It refuses, before anything is spent, a
// model with no price or with no id on the chosen provider.
import type { ModelPort, ModelRetry } from "./types.ts";
import { UnmappedModelError, UnpricedModelError } from "./errors.ts";
import { mappedModels, providerModelId } from "./model-ids.ts";
import { createModelPort } from "./port.ts";
import { priceOf } from "./prices.ts";
import type { ProviderOptions } from "./providers.ts";
import { PROVIDER_NAMES, providerClient } from "./providers.ts";
import type { RetryPolicy } from "./retry.ts";
import { retryPolicy } from "./retry.ts";
import { tracedModel } from "./traced.ts";
import type { Tracer } from "../observability/tracing.ts";

export interface ModelOptions {
  /** Stamina's id for the model, as `.github/stamina.yml` names it (`claude-sonnet-5-5`). */
  model: string;
  provider: ProviderOptions;
  /** The operators' ids for the provider, by Stamina's id; they win over the built-in table. */
  modelIds?: Readonly<Record<string, string>>;
  /** The retry window, backoff, clock and sleep; defaults wait up to 15 minutes on real time. */
  retry?: Partial<RetryPolicy>;
  /** Per attempt, until the response begins; a long streamed turn may take minutes. */
  timeoutMs?: number;
  /** How long a stream may go silent before the attempt is dropped and retried (10 minutes). */
  streamIdleMs?: number;
  /** Told of every retry, with the URL the provider is reached at: for the operators' log. */
  onRetry?: (retry: ModelRetry, endpoint: string) => void;
  /** Each call a span (`chat {model}`); none: no spans. */
  tracer?: Tracer;
}

export function createModel(options: ModelOptions): ModelPort {
  const price = priceOf(options.model);
  if (price === undefined) throw new UnpricedModelError(options.model);
  const { provider } = options.provider;
  const id = providerModelId(provider, options.model, options.modelIds);
  if (id === undefined) {
    throw new UnmappedModelError(options.model, PROVIDER_NAMES[provider], mappedModels(provider));
  }
  const client = providerClient(options.provider, options.timeoutMs ?? 10 * 60_000);
  const { onRetry, tracer } = options;
  const port = createModelPort({
    client,
    providerModelId: id,
    price,
    retry: retryPolicy(options.retry),
    streamIdleMs: options.streamIdleMs ?? 10 * 60_000,
    ...(onRetry ? { onRetry: (retry: ModelRetry) => onRetry(retry, client.baseURL) } : {}),
  });
  return tracer ? tracedModel(port, tracer, { provider, endpoint: client.baseURL }) : port;
}
