// Reading the transcript for the context manager: blocks of a message, the tool calls and
// their names, the files the run changed, and where a kept tail may start without splitting a
// tool_use from its tool_result (always at an assistant message).
import type Anthropic from "@anthropic-ai/sdk";

export type Message = Anthropic.MessageParam;
export type Block = Anthropic.ContentBlockParam;

export function blocksOf(message: Message): Block[] {
  return typeof message.content === "string"
    ? [{ type: "text", text: message.content }]
    : (message.content as Block[]);
}

export function textOfBlocks(message: Message): string {
  return blocksOf(message)
    .filter((b): b is Anthropic.TextBlockParam => b.type === "text")
    .map((b) => b.text)
    .join("\n")
    .trim();
}

/** The task as given: the text of the transcript's first message. */
export function taskText(transcript: readonly Message[]): string {
  return transcript[0] ? textOfBlocks(transcript[0]) : "";
}

/** Tool names by tool_use id. */
export function toolNames(transcript: readonly Message[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const message of transcript) {
    for (const block of blocksOf(message)) {
      if (block.type === "tool_use") names.set(block.id, block.name);
    }
  }
  return names;
}

/** How many tool results the transcript holds before index `end`. */
export function toolResultsBefore(transcript: readonly Message[], end: number): number {
  let n = 0;
  for (const message of transcript.slice(0, end)) {
    n += blocksOf(message).filter((b) => b.type === "tool_result").length;
  }
  return n;
}

const EDITING = new Set(["create", "str_replace", "insert", "undo_edit"]);

/** Files the editor changed, in the order first changed. */
export function filesTouched(transcript: readonly Message[]): string[] {
  const files = new Set<string>();
  for (const message of transcript) {
    for (const block of blocksOf(message)) {
      if (block.type !== "tool_use" || block.name !== "str_replace_based_edit_tool") continue;
      const input = block.input as { command?: unknown; path?: unknown };
      if (typeof input.path === "string" && EDITING.has(String(input.command))) {
        files.add(input.path);
      }
    }
  }
  return [...files];
}

/**
 * Where a tail holding the last `keep` assistant turns starts (an assistant message index
 * after `after`), or undefined when there is nothing before it to drop.
 */
export function tailStart(
  transcript: readonly Message[],
  after: number,
  keep: number,
): number | undefined {
  let seen = 0;
  for (let i = transcript.length - 1; i > after; i--) {
    if (transcript[i]!.role !== "assistant") continue;
    seen += 1;
    if (seen >= Math.max(1, keep)) return i > after + 1 ? i : undefined;
  }
  return undefined;
}
