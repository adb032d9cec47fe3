// Turns a scripted reply into the Message the API would answer, usage included.
import type Anthropic from "@anthropic-ai/sdk";
import type { AppliedEdit } from "./context-editing.ts";
import type { CacheUsage } from "./prompt-cache.ts";
import type { ScriptedBlock, ScriptedMessage } from "./script.ts";

/** What the beta endpoint adds to a message when the request asked for context management. */
export type AnsweredMessage = Anthropic.Message & {
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
  prompt?: { usage: CacheUsage; applied: AppliedEdit[]; compaction?: string | undefined };
}

export function buildMessage(scripted: ScriptedMessage, context: MessageContext): AnsweredMessage {
  const content = scripted.content.map(answeredBlock);
  const compaction = context.prompt?.compaction;
  if (compaction !== undefined) {
    // The summary opens the answer; the client sends it back in place of what it replaced.
    const block = { type: "compaction", content: compaction, encrypted_content: null };
    content.unshift(block as unknown as Anthropic.ContentBlock);
  }
  const prompt = context.prompt?.usage;
  const usage: Anthropic.Usage = {
    input_tokens: prompt?.input_tokens ?? estimateTokens(context.requestChars),
    output_tokens: estimateTokens(JSON.stringify(content).length),
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
