// The Anthropic-defined text editor tool, confined to the worktree, with its views
// bounded (`max_characters` tells the model so) and a syntax check of each edit.
import {
  editorInputSchema,
  executeEditorCommand,
  MAX_VIEW_CHARS,
  PathOutsideWorkspaceError,
  ToolInputError,
} from "../../workspace/files.ts";
import type { Tool, ToolOutcome } from "../ports.ts";
import { parseToolInput } from "./input.ts";
import { createSyntaxChecker } from "./syntax-check.ts";
import { pythonParser, type PythonCheckOptions } from "./syntax-python.ts";

export interface EditorToolOptions {
  /** Where Python's compiler checks a .py edit (the run's sandbox); none: no Python check. */
  python?: PythonCheckOptions;
}

export function createEditorTool(worktree: string, options: EditorToolOptions = {}): Tool {
  const syntax = createSyntaxChecker(options.python ? pythonParser(options.python) : null);
  return {
    definition: {
      type: "text_editor_20250728",
      name: "str_replace_based_edit_tool",
      max_characters: MAX_VIEW_CHARS,
    },
    async execute(rawInput): Promise<ToolOutcome> {
      const parsed = parseToolInput("str_replace_based_edit_tool", editorInputSchema, rawInput);
      if (!parsed.ok) return parsed.outcome;
      const readOnly = parsed.data.command === "view";
      let result;
      try {
        result = await executeEditorCommand(worktree, parsed.data);
      } catch (error) {
        if (error instanceof ToolInputError || error instanceof PathOutsideWorkspaceError) {
          // A refused edit changed nothing.
          return { output: error.message, isError: true, readOnly: true };
        }
        throw error;
      }
      const { edited } = result;
      const note = edited ? await syntax.check(edited.path, edited.before, edited.after) : "";
      return { output: result.output + note, isError: false, readOnly };
    },
  };
}
