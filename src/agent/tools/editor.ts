// The Anthropic-defined text editor tool, confined to the worktree, with its views
// bounded (`max_characters` tells the model so).
import {
  editorInputSchema,
  executeEditorCommand,
  MAX_VIEW_CHARS,
  PathOutsideWorkspaceError,
  ToolInputError,
} from "../../workspace/files.ts";
import type { Tool, ToolOutcome } from "../ports.ts";
import { parseToolInput } from "./input.ts";

export function createEditorTool(worktree: string): Tool {
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
      return { output: result.output, isError: false, readOnly };
    },
  };
}
