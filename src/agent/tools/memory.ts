// The Anthropic-defined `memory` tool (`memory_20250818`) on the repository's
// memory port, and the notes a run starts with. The memory outlives the run
// and is written by earlier runs, so what it holds is untrusted: sanitised on
// the way in and out, and framed in the prompt as notes, never instructions.
import { z } from "zod";
import { sanitizeUntrusted } from "../../policy/sanitize.ts";
import {
  MEMORY_LIMITS,
  MEMORY_ROOT,
  MemoryError,
  runMemoryCommand,
  type MemoryLimits,
} from "../memory.ts";
import type { MemoryFile, MemoryPort, Tool, ToolOutcome } from "../ports.ts";
import { renderPrompt, untrusted, type RenderedPrompt } from "../prompts.ts";
import { integer, orJsonText, parseToolInput } from "./input.ts";

const path = z.string({ error: "must be a path under /memories" });

const memoryInput = z.discriminatedUnion("command", [
  z.object({
    command: z.literal("view"),
    path,
    view_range: orJsonText(z.tuple([integer, integer])).optional(),
  }),
  z.object({ command: z.literal("create"), path, file_text: z.string() }),
  z.object({
    command: z.literal("str_replace"),
    path,
    old_str: z.string().min(1, "old_str must not be empty"),
    new_str: z.string().default(""),
  }),
  z.object({ command: z.literal("insert"), path, insert_line: integer, insert_text: z.string() }),
  z.object({ command: z.literal("delete"), path }),
  z.object({ command: z.literal("rename"), old_path: path, new_path: path }),
]);

export function createMemoryTool(memory: MemoryPort, limits: MemoryLimits = MEMORY_LIMITS): Tool {
  return {
    definition: { type: "memory_20250818", name: "memory" },
    async execute(rawInput): Promise<ToolOutcome> {
      const parsed = parseToolInput("memory", memoryInput, rawInput);
      if (!parsed.ok) return { ...parsed.outcome, readOnly: true };
      const input = parsed.data;
      // The memory lives in the store, not the worktree: no command here changes the diff.
      try {
        const output =
          input.command === "view"
            ? runMemoryCommand(await memory.read(), input, limits).output
            : await memory.edit((files) => {
                const outcome = runMemoryCommand(files, input, limits);
                return { result: outcome.output, change: outcome.change };
              });
        return { output, isError: false, readOnly: true, details: { memory: input.command } };
      } catch (error) {
        if (error instanceof MemoryError)
          return { output: error.message, isError: true, readOnly: true };
        throw error;
      }
    },
  };
}

/** How much of the memory the first message carries; the rest is listed, to open with `view`. */
const NOTES_CHARS = 12_000;

/** The memory as the notes a run starts with, framed as notes by `prompts/memory.md`. */
export function memoryNotes(files: readonly MemoryFile[]): RenderedPrompt {
  const parts: string[] = [];
  const unread: string[] = [];
  let left = NOTES_CHARS;
  for (const file of files) {
    // Hidden content is stripped, and nothing in a note can close the frame it sits in.
    const text = untrusted(sanitizeUntrusted(file.content, Infinity));
    if (text.length > left) {
      unread.push(file.path);
      continue;
    }
    left -= text.length;
    parts.push(`--- ${file.path} ---\n${text}`);
  }
  if (unread.length > 0) {
    parts.push(`(Not shown here, open them with view: ${unread.join(", ")}.)`);
  }
  return renderPrompt("memory", {
    notes: parts.length > 0 ? parts.join("\n\n") : `(${MEMORY_ROOT} is empty: no notes yet.)`,
  });
}
