// Tool inputs as models really send them: numbers and booleans sometimes
// arrive as strings, lists as JSON text. The schemas here accept those, and
// a bad input becomes an error result that says what was wrong, never a throw.
import { z } from "zod";
import { integer } from "../../workspace/editor-input.ts";
import type { ToolOutcome } from "../ports.ts";

export { integer };

const WORDS: Record<string, boolean> = { true: true, false: false, yes: true, no: false };

/** A boolean, or "true"/"false"/"yes"/"no" in any case. */
export const flag = z.preprocess(
  (value) => (typeof value === "string" ? (WORDS[value.trim().toLowerCase()] ?? value) : value),
  z.boolean(),
);

/** A value that may arrive as JSON text (a list sent as a string). */
export function orJsonText<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }, schema);
}

export type Parsed<T> = { ok: true; data: T } | { ok: false; outcome: ToolOutcome };

/** Parses a tool's input; on failure, the error result the model gets back. */
export function parseToolInput<T extends z.ZodType>(
  tool: string,
  schema: T,
  raw: unknown,
): Parsed<z.output<T>> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, data: parsed.data };
  return {
    ok: false,
    outcome: {
      output: `Invalid input for ${tool}: ${z.prettifyError(parsed.error)}`,
      isError: true,
    },
  };
}
