// Counts the cache breakpoints of a request, which the Messages API caps at four.
import type Anthropic from "@anthropic-ai/sdk";
import type { Refusal } from "./refusal.ts";
import { invalidRequest } from "./refusal.ts";

const MAX_CACHE_BREAKPOINTS = 4;

function marked(block: object): boolean {
  return "cache_control" in block && block.cache_control != null;
}

function countMarked(blocks: readonly object[]): number {
  return blocks.filter(marked).length;
}

/**
 * Breakpoints across tools, system and messages (tool_result contents included). A top-level
 * `cache_control` asks the API to place one more breakpoint itself, so it takes a slot too.
 */
function countCacheBreakpoints(params: Anthropic.MessageCreateParams): number {
  let count = params.cache_control != null ? 1 : 0;
  count += countMarked(params.tools ?? []);
  if (Array.isArray(params.system)) count += countMarked(params.system);
  for (const message of params.messages) {
    if (typeof message.content === "string") continue;
    for (const block of message.content) {
      if (marked(block)) count += 1;
      if (block.type === "tool_result" && Array.isArray(block.content)) {
        count += countMarked(block.content);
      }
    }
  }
  return count;
}

export function checkCacheControl(params: Anthropic.MessageCreateParams): Refusal | undefined {
  const found = countCacheBreakpoints(params);
  if (found <= MAX_CACHE_BREAKPOINTS) return undefined;
  return invalidRequest(
    `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${found}.`,
  );
}
