// The Anthropic-defined text editor tool, confined to the worktree.
import {
  editorInputSchema,
  executeEditorCommand,
  PathOutsideWorkspaceError,
  ToolInputError,
} from "../../workspace/files.ts";
import type { Tool, ToolOutcome } from "../ports.ts";
import { parseToolInput } from "./input.ts";

export function createEditorTool(worktree: string): Tool {
  return {
    definition: { type: "text_editor_20250728", name: "str_replace_based_edit_tool" },
    async execute(rawInput): Promise<ToolOutcome> {
      const parsed = parseToolInput("str_replace_based_edit_tool", editorInputSchema, rawInput);
      if (!parsed.ok) return parsed.outcome;
      const readOnly = parsed.data.command === "view";
      try {
        return {
          output: await executeEditorCommand(worktree, parsed.data),
          isError: false,
          readOnly,
        };
      } catch (error) {
        if (error instanceof ToolInputError || error instanceof PathOutsideWorkspaceError) {
          // A refused edit changed nothing.
          return { output: error.message, isError: true, readOnly: true };
        }
        throw error;
      }
    },
  };
}
