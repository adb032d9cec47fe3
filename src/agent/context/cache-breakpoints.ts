// Prompt-cache breakpoints, four at most as the API allows: the last tool, the system prompt, an
// anchor that moves in batches, and the moving tail. The tail breakpoint writes the whole request
// so the next one reads it; the anchor sits on the last message at a multiple of `batch`, so a
// prefix stays cached even when the tail moved further than the API looks back (20 blocks).
import type Anthropic from "@anthropic-ai/sdk";
import type { ToolDefinition } from "../../model/types.ts";
import type { Message } from "./transcript.ts";

/** The anchor breakpoint moves every this many messages. */
export const ANCHOR_BATCH = 8;
const EPHEMERAL: Anthropic.CacheControlEphemeral = { type: "ephemeral" };
/** Block types the API takes a breakpoint on. */
const CACHEABLE = new Set(["text", "tool_use", "tool_result", "image", "document", "compaction"]);

export function cachedTools(tools: readonly ToolDefinition[]): ToolDefinition[] {
  return tools.map((tool, i) =>
    i === tools.length - 1 ? { ...tool, cache_control: EPHEMERAL } : tool,
  );
}

export function cachedSystem(system: string): Anthropic.TextBlockParam[] {
  return [{ type: "text", text: system, cache_control: EPHEMERAL }];
}

/** A copy of the message with a breakpoint on its last block that takes one, if any. */
function marked(message: Message): Message {
  const content: Anthropic.ContentBlockParam[] =
    typeof message.content === "string"
      ? [{ type: "text", text: message.content }]
      : [...(message.content as Anthropic.ContentBlockParam[])];
  for (let i = content.length - 1; i >= 0; i--) {
    const block = content[i]!;
    if (!CACHEABLE.has(block.type)) continue;
    content[i] = { ...block, cache_control: EPHEMERAL } as Anthropic.ContentBlockParam;
    return { ...message, content } as Message;
  }
  return message;
}

/** The messages with the anchor and tail breakpoints; the transcript's own objects are untouched. */
export function withBreakpoints(messages: readonly Message[], batch: number): Message[] {
  const out = [...messages];
  const tail = out.length - 1;
  if (tail < 0) return out;
  // Strictly before the tail, so there are always two when there are two messages.
  const anchor = Math.floor((tail - 1) / batch) * batch;
  if (anchor >= 0 && anchor < tail) out[anchor] = marked(out[anchor]!);
  out[tail] = marked(out[tail]!);
  return out;
}
