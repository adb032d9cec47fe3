// How to read a finished turn's stop reason where the Message alone is not explicit: a turn that
// stopped at its token limit (or at the context window) stopped in the middle of whatever block
// it was writing, so a tool call at its end is unfinished and must not be run.
import type Anthropic from "@anthropic-ai/sdk";

/** Stop reasons that end generation mid-block. */
const CUT_OFF: ReadonlySet<Anthropic.StopReason> = new Set([
  "max_tokens",
  "model_context_window_exceeded",
]);

/**
 * The tool call a turn was cut off in the middle of, if any. Its `input` is what the SDK could
 * parse of the partial JSON (possibly missing fields, or a string cut short): not to be run.
 */
export function cutOffToolUse(message: Anthropic.Message): Anthropic.ToolUseBlock | undefined {
  if (message.stop_reason === null || !CUT_OFF.has(message.stop_reason)) return undefined;
  const last = message.content.at(-1);
  return last?.type === "tool_use" ? last : undefined;
}
