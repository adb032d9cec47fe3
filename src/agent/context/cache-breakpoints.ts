// Prompt-cache breakpoints, four at most as the API allows: the system prompt (which the tools
// precede, so it caches them too), the clearing frontier as it was before the last clearing and
// as it is now, and the moving tail. The frontier is the last message whose tool result is
// cleared (the header when none is): everything before it stays as it is until the view is
// compacted. A clearing changes only what comes after the old frontier, so the request that
// clears reads the prefix up to it from the cache and writes the newly cleared batch and the
// kept results once; the tail breakpoint writes each new step once, for the next request to read.
import type Anthropic from "@anthropic-ai/sdk";
import type { Message } from "./transcript.ts";

const EPHEMERAL: Anthropic.CacheControlEphemeral = { type: "ephemeral" };
/** Block types the API takes a breakpoint on. */
const CACHEABLE = new Set(["text", "tool_use", "tool_result", "image", "document", "compaction"]);
/** The API's limit, less the system prompt's. */
const MESSAGE_BREAKPOINTS = 3;

/** The system prompt as blocks, the breakpoint on the last one. */
export function cachedSystem(blocks: readonly string[]): Anthropic.TextBlockParam[] {
  return blocks.map((text, i) =>
    i === blocks.length - 1
      ? { type: "text", text, cache_control: EPHEMERAL }
      : { type: "text", text },
  );
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

/**
 * The messages with breakpoints on the messages at `stable` (indices whose prefix stays as it
 * is, such as the clearing frontiers) and on the last; the transcript's own objects are untouched.
 */
export function withBreakpoints(
  messages: readonly Message[],
  stable: readonly number[],
): Message[] {
  const out = [...messages];
  const tail = out.length - 1;
  if (tail < 0) return out;
  const points = [...new Set([...stable.filter((i) => i >= 0 && i < tail), tail])].sort(
    (a, b) => a - b,
  );
  // The latest ones when there are too many: the earlier prefixes are inside them.
  for (const i of points.slice(-MESSAGE_BREAKPOINTS)) out[i] = marked(out[i]!);
  return out;
}
