// One streamed call to the Messages API, on any provider's client, assembled by the SDK into the
// final Message. A request that opts into betas goes through the beta endpoint, which is where
// context editing and compaction live; anything else through the standard one.
import type Anthropic from "@anthropic-ai/sdk";
import { APIConnectionError, APIError } from "@anthropic-ai/sdk";
import type { ModelRequest } from "../agent/ports.ts";

/** What the Claude API client and the Bedrock and Vertex clients have in common, and we use. */
export interface MessagesClient {
  messages: Pick<Anthropic["messages"], "stream">;
  beta: { messages: Pick<Anthropic["beta"]["messages"], "stream"> };
}

type StreamParams = Anthropic.MessageStreamParams;
type BetaStreamParams = Parameters<MessagesClient["beta"]["messages"]["stream"]>[0];

/** The request body, with the id the provider knows the model by. */
export function streamParams(request: ModelRequest, providerModelId: string): StreamParams {
  return {
    model: providerModelId,
    max_tokens: request.maxTokens,
    system: request.system,
    messages: request.messages,
    tools: request.tools,
    ...(request.cacheControl ? { cache_control: request.cacheControl } : {}),
  };
}

function usesBeta(request: ModelRequest): boolean {
  return (request.betas?.length ?? 0) > 0 || request.contextManagement !== undefined;
}

/**
 * Streams one attempt. A stream that breaks off after the response began (the connection
 * dropped, the body ended early) rejects with an APIConnectionError carrying the cause, as a
 * failure before the response would: both are the network's fault, and both are retried.
 */
export async function streamOnce(
  client: MessagesClient,
  request: ModelRequest,
  params: StreamParams,
  signal: AbortSignal | undefined,
): Promise<Anthropic.Message> {
  let connected = false;
  const onConnect = () => {
    connected = true;
  };
  let final: Promise<unknown>;
  if (usesBeta(request)) {
    const stream = client.beta.messages.stream(
      {
        ...(params as BetaStreamParams),
        betas: request.betas,
        ...(request.contextManagement ? { context_management: request.contextManagement } : {}),
      },
      { signal },
    );
    final = stream.on("connect", onConnect).finalMessage();
  } else {
    final = client.messages.stream(params, { signal }).on("connect", onConnect).finalMessage();
  }
  try {
    // Under betas the Message may carry beta blocks and fields (`context_management`); they
    // pass through untouched for the caller that asked for them.
    return (await final) as Anthropic.Message;
  } catch (error) {
    if (!connected || error instanceof APIError) throw error;
    const cause = error instanceof Error ? error : new Error(String(error));
    throw new APIConnectionError({
      message: `The model's stream broke off: ${cause.message}`,
      cause,
    });
  }
}
