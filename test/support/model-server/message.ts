// Turns a scripted reply into the Message the API would answer, usage included.
import type Anthropic from "@anthropic-ai/sdk";
import type { AppliedEdit } from "./context-editing.ts";
import type { CacheUsage } from "./prompt-cache.ts";
import type { ScriptedBlock, ScriptedMessage } from "./script.ts";

/** One sampling iteration's usage, as the beta endpoint lists it under `usage.iterations`. */
type IterationUsage =
  Anthropic.Beta.BetaCompactionIterationUsage | Anthropic.Beta.BetaMessageIterationUsage;

/** A message's usage; on a compacted request, with the iterations it was billed for. */
type AnsweredUsage = Anthropic.Usage & { iterations?: IterationUsage[] };

/** What the beta endpoint adds to a message when the request asked for context management. */
export type AnsweredMessage = Omit<Anthropic.Message, "usage"> & {
  usage: AnsweredUsage;
  context_management?: { applied_edits: AppliedEdit[] };
};

/** Roughly four characters a token, as a stand-in for the tokenizer; never below one. */
export function estimateTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

function answeredBlock(block: ScriptedBlock): Anthropic.ContentBlock {
  if (block.type === "text") return { type: "text", text: block.text, citations: null };
  return {
    type: "tool_use",
    id: block.id,
    name: block.name,
    input: block.input,
    caller: { type: "direct" },
  };
}

function defaultStopReason(content: readonly ScriptedBlock[]): Anthropic.StopReason {
  return content.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn";
}

export interface MessageContext {
  id: string;
  params: Anthropic.MessageCreateParams;
  /** Length of the request body as sent, from which input tokens are estimated. */
  requestChars: number;
  /** The prompt as the model read it: its tokens as the cache split them, the edits applied. */
  prompt?: {
    usage: CacheUsage;
    applied: AppliedEdit[];
    compaction?: string | undefined;
    /** The whole prompt's tokens when the compaction iteration read it. */
    compactedTokens?: number | undefined;
  };
}

/**
 * The two iterations of a compacted request, as the API bills it: the compaction iteration reads
 * the whole prompt from before compaction and writes the summary; the message iteration reads
 * the compacted prompt and writes the answer. The top-level usage is the message iteration's
 * alone; the bill is the sum over both. Where the API's documentation shows a compaction
 * iteration it gives its input as plain `input_tokens` (180,000 against the answer's 23,000) and
 * says nothing of the cache, so the fake bills the compaction's whole input as uncached input:
 * the most it can cost, and a modelled figure, not a measured one.
 */
function compactedIterations(
  compactionInput: number,
  summaryOutput: number,
  message: Omit<Anthropic.Beta.BetaMessageIterationUsage, "type" | "cache_creation">,
): IterationUsage[] {
  return [
    {
      type: "compaction",
      input_tokens: compactionInput,
      output_tokens: summaryOutput,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
      cache_creation: null,
    },
    { type: "message", cache_creation: null, ...message },
  ];
}

export function buildMessage(scripted: ScriptedMessage, context: MessageContext): AnsweredMessage {
  const content = scripted.content.map(answeredBlock);
  // The answer's own output, before the summary is put in front of it.
  const outputTokens = estimateTokens(JSON.stringify(content).length);
  const compaction = context.prompt?.compaction;
  let summaryTokens = 0;
  if (compaction !== undefined) {
    // The summary opens the answer; the client sends it back in place of what it replaced.
    const block = { type: "compaction", content: compaction, encrypted_content: null };
    summaryTokens = estimateTokens(JSON.stringify(block).length);
    content.unshift(block as unknown as Anthropic.ContentBlock);
  }
  const prompt = context.prompt?.usage;
  const usage: AnsweredUsage = {
    input_tokens: prompt?.input_tokens ?? estimateTokens(context.requestChars),
    output_tokens: outputTokens,
    cache_creation_input_tokens: prompt?.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: prompt?.cache_read_input_tokens ?? 0,
    cache_creation: null,
    inference_geo: null,
    output_tokens_details: null,
    server_tool_use: null,
    service_tier: "standard",
    speed: null,
    ...scripted.usage,
  };
  const compactedTokens = context.prompt?.compactedTokens;
  if (compaction !== undefined && compactedTokens !== undefined) {
    usage.iterations = compactedIterations(compactedTokens, summaryTokens, {
      model: context.params.model,
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
      cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
    });
  }
  const message: AnsweredMessage = {
    id: context.id,
    type: "message",
    role: "assistant",
    model: context.params.model,
    content,
    stop_reason: scripted.stop_reason ?? defaultStopReason(scripted.content),
    stop_sequence: null,
    stop_details: scripted.stop_details ?? null,
    container: null,
    diagnostics: null,
    usage,
  };
  if ("context_management" in context.params) {
    message.context_management = { applied_edits: context.prompt?.applied ?? [] };
  }
  return message;
}
