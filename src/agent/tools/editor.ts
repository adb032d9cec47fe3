// The Anthropic-defined text editor tool, confined to the worktree.
import { z } from "zod";
import {
  editorInputSchema,
  executeEditorCommand,
  PathOutsideWorkspaceError,
  ToolInputError,
} from "../../workspace/files.ts";
import type { Tool, ToolOutcome } from "../ports.ts";

export function createEditorTool(worktree: string): Tool {
  return {
    definition: { type: "text_editor_20250728", name: "str_replace_based_edit_tool" },
    async execute(rawInput): Promise<ToolOutcome> {
      const parsed = editorInputSchema.safeParse(rawInput);
      if (!parsed.success) {
        return {
          output: `Invalid input for str_replace_based_edit_tool: ${z.prettifyError(parsed.error)}`,
          isError: true,
        };
      }
      try {
        return { output: await executeEditorCommand(worktree, parsed.data), isError: false };
      } catch (error) {
        if (error instanceof ToolInputError || error instanceof PathOutsideWorkspaceError) {
          return { output: error.message, isError: true };
        }
        throw error;
      }
    },
  };
}
