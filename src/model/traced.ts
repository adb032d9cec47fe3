// A model call as an OpenTelemetry span, in the GenAI conventions (`chat {model}`): the provider,
// the model, the tokens billed, why the answer stopped and each retry's wait. Never the prompt,
// the answer or a credential.
import type Anthropic from "@anthropic-ai/sdk";
import { SpanKind, type Attributes } from "@opentelemetry/api";
import { withSpan, type Tracer } from "../observability/tracing.ts";
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
  GEN_AI_PROVIDER_NAME_VALUE_AWS_BEDROCK,
  GEN_AI_PROVIDER_NAME_VALUE_GCP_VERTEX_AI,
} from "../observability/semconv.ts";
import type { ModelProvider } from "./model-ids.ts";
import type { ModelPort } from "./types.ts";

const PROVIDERS: Record<ModelProvider, string> = {
  anthropic: GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
  bedrock: GEN_AI_PROVIDER_NAME_VALUE_AWS_BEDROCK,
  vertex: GEN_AI_PROVIDER_NAME_VALUE_GCP_VERTEX_AI,
};

/** `port` with each call in a span; `endpoint` is the URL the provider is reached at. */
export function tracedModel(
  port: ModelPort,
  tracer: Tracer,
  where: { provider: ModelProvider; endpoint: string },
): ModelPort {
  const fixed: Attributes = {
    [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_CHAT,
    [ATTR_GEN_AI_PROVIDER_NAME]: PROVIDERS[where.provider],
    [ATTR_GEN_AI_REQUEST_MODEL]: port.model,
    [ATTR_GEN_AI_REQUEST_STREAM]: true,
    ...serverOf(where.endpoint),
  };
  return {
    model: port.model,
    cost: (usage) => port.cost(usage),
    complete: (request, signal, hooks) =>
      withSpan(
        tracer,
        `${GEN_AI_OPERATION_NAME_VALUE_CHAT} ${port.model}`,
        {
          kind: SpanKind.CLIENT,
          attributes: { ...fixed, [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: request.maxTokens },
        },
        async (span) => {
          const message = await port.complete(request, signal, {
            onRetry: (retry) => {
              span.addEvent("retry", {
                attempt: retry.attempt,
                ...(retry.status === undefined
                  ? {}
                  : { "http.response.status_code": retry.status }),
                ...(retry.errorType ? { [ATTR_ERROR_TYPE]: retry.errorType } : {}),
                "stamina.wait_ms": retry.waitMs,
              });
              return hooks?.onRetry?.(retry);
            },
          });
          span.setAttributes(answerAttributes(message));
          return message;
        },
      ),
  };
}

function answerAttributes(message: Anthropic.Message): Attributes {
  const { usage } = message;
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  return {
    [ATTR_GEN_AI_RESPONSE_ID]: message.id,
    [ATTR_GEN_AI_RESPONSE_MODEL]: message.model,
    [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]:
      message.stop_reason === null ? [] : [message.stop_reason],
    // Anthropic counts cache reads and writes apart from input_tokens; the convention counts all.
    [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: usage.input_tokens + cacheRead + cacheWrite,
    [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: usage.output_tokens,
    [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: cacheRead,
    [ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: cacheWrite,
  };
}

/** The host and port of the provider's URL: never its path, query or credentials. */
function serverOf(endpoint: string): Attributes {
  try {
    const url = new URL(endpoint);
    const port = url.port === "" ? (url.protocol === "http:" ? 80 : 443) : Number(url.port);
    return { [ATTR_SERVER_ADDRESS]: url.hostname, [ATTR_SERVER_PORT]: port };
  } catch {
    return {};
  }
}
