// The input of Anthropic's text editor tool (`text_editor_20250728`), parsed
// once where it enters. Models sometimes send numbers as strings, or a range
// as a JSON string; those are accepted rather than bounced.
import { z } from "zod";

/** A mistake in the model's request, worded so the model can correct it. */
export class ToolInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ToolInputError";
  }
}

export const integer = z.preprocess(
  (value) => (typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value),
  z.number().int(),
);

const range = z.preprocess(
  (value) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  },
  z.tuple([integer, integer]),
);

const path = z.string().min(1, "path must not be empty");

export const editorInputSchema = z.discriminatedUnion("command", [
  z.object({
    command: z.literal("view"),
    path,
    view_range: range.optional(),
    // Not in Anthropic's schema: a character window on the one line view_range names, which the
    // note under a cut line offers (a minified file's single line, shown a piece at a time).
    char_range: range.optional(),
  }),
  z.object({ command: z.literal("create"), path, file_text: z.string() }),
  z.object({
    command: z.literal("str_replace"),
    path,
    old_str: z.string().min(1, "old_str must not be empty"),
    new_str: z.string().optional(),
  }),
  z.object({
    command: z.literal("insert"),
    path,
    insert_line: integer,
    // The tool's schema says insert_text; some model versions send new_str.
    insert_text: z.string().optional(),
    new_str: z.string().optional(),
  }),
]);

export type EditorInput = z.output<typeof editorInputSchema>;
