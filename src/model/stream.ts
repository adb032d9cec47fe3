// One streamed call to the Messages API, on any provider's client, assembled by the SDK into the
// final Message. A request that opts into betas goes through the beta endpoint, which is where
// context editing and compaction live; anything else through the standard one.
import type Anthropic from "@anthropic-ai/sdk";
import { APIConnectionError, APIError } from "@anthropic-ai/sdk";
import type { ModelRequest } from "./types.ts";

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
 * Watches a stream for silence: the SDK's timeout ends when the response's headers arrive, so a
 * stream that stops sending without closing would otherwise hang the run for good.
 */
class IdleWatch {
  readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly idleMs: number) {}
  /** Restarts the count; called on the response and on every event. */
  readonly poke = (): void => {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(), this.idleMs);
  };
  stop(): void {
    clearTimeout(this.timer);
  }
}

/**
 * Streams one attempt. A stream that breaks off after the response began (the connection
 * dropped, the body ended early) or that sends nothing for `idleMs` rejects with an
 * APIConnectionError, as a failure before the response would: the network's fault, retried.
 */
export async function streamOnce(
  client: MessagesClient,
  request: ModelRequest,
  params: StreamParams,
  signal: AbortSignal | undefined,
  idleMs: number,
): Promise<Anthropic.Message> {
  const idle = new IdleWatch(idleMs);
  const options = {
    signal: signal ? AbortSignal.any([signal, idle.controller.signal]) : idle.controller.signal,
  };
  let connected = false;
  const onConnect = () => {
    connected = true;
    idle.poke();
  };
  let final: Promise<unknown>;
  if (usesBeta(request)) {
    const stream = client.beta.messages.stream(
      {
        ...(params as BetaStreamParams),
        betas: request.betas,
        ...(request.contextManagement ? { context_management: request.contextManagement } : {}),
      },
      options,
    );
    final = stream.on("connect", onConnect).on("streamEvent", idle.poke).finalMessage();
  } else {
    const stream = client.messages.stream(params, options);
    final = stream.on("connect", onConnect).on("streamEvent", idle.poke).finalMessage();
  }
  try {
    // Under betas the Message may carry beta blocks and fields (`context_management`); they
    // pass through untouched for the caller that asked for them.
    return (await final) as Anthropic.Message;
  } catch (error) {
    if (idle.controller.signal.aborted && !signal?.aborted) {
      throw new APIConnectionError({
        message: `The model's stream sent nothing for ${idleMs < 1000 ? `${idleMs} ms` : `${Math.round(idleMs / 1000)} s`}`,
      });
    }
    if (!connected || error instanceof APIError) throw error;
    const cause = error instanceof Error ? error : new Error(String(error));
    throw new APIConnectionError({
      message: `The model's stream broke off: ${cause.message}`,
      cause,
    });
  } finally {
    idle.stop();
  }
}
