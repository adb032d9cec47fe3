// Client-side clearing, for models the API does not clear for: tool results older than the
// last K lose their output in the view (the call and a note stay, so the pairing holds). It
// moves in batches: nothing changes until `batch` more results than K are due, so the cached
// prefix stays valid between clearings. The plan's tool is never cleared.
import type Anthropic from "@anthropic-ai/sdk";
import { blocksOf, type Message } from "./transcript.ts";

export const CLEARED_NOTE = "[Output cleared to save context; run the tool again to see it.]";

/** Tool names whose results stay: the plan is small and is what the run steers by. */
const KEPT_TOOLS = new Set(["update_plan"]);

/** The new count of cleared results: unchanged unless a whole batch is due. */
export function nextCleared(total: number, cleared: number, keep: number, batch: number): number {
  return total - cleared > keep + batch ? total - keep : cleared;
}

/**
 * The messages with the output of results numbered below `cleared` replaced, counting from
 * `firstOrdinal` (the number of results before the first message given). Never mutates.
 */
export function clearResults(
  messages: readonly Message[],
  firstOrdinal: number,
  cleared: number,
  names: ReadonlyMap<string, string>,
): Message[] {
  let ordinal = firstOrdinal;
  return messages.map((message) => {
    if (typeof message.content === "string") return message;
    let changed = false;
    const content = blocksOf(message).map((block) => {
      if (block.type !== "tool_result") return block;
      const n = ordinal++;
      if (n >= cleared || KEPT_TOOLS.has(names.get(block.tool_use_id) ?? "")) return block;
      changed = true;
      return { ...block, content: CLEARED_NOTE } satisfies Anthropic.ToolResultBlockParam;
    });
    return changed ? ({ ...message, content } as Message) : message;
  });
}

/** The tail's tool results cut to `max` characters each (head and tail), after an overflow. */
export function clipResults(messages: readonly Message[], max: number): Message[] {
  return messages.map((message) => {
    if (typeof message.content === "string") return message;
    const content = blocksOf(message).map((block) => {
      if (block.type !== "tool_result" || typeof block.content !== "string") return block;
      if (block.content.length <= max) return block;
      const half = Math.floor(max / 2);
      const cut = `${block.content.slice(0, half)}\n… [${block.content.length - 2 * half} characters cut to fit the context] …\n${block.content.slice(-half)}`;
      return { ...block, content: cut };
    });
    return { ...message, content } as Message;
  });
}
