// The `search` tool: a regular expression (or plain text) across the
// worktree, answered with `path:line:text` lines, a bounded number of them.
import { z } from "zod";
import { PathOutsideWorkspaceError, ToolInputError } from "../../workspace/files.ts";
import type { Searcher } from "../../workspace/search.ts";
import type { Tool, ToolOutcome } from "../ports.ts";
import { flag, integer, parseToolInput } from "./input.ts";

const DEFAULT_RESULTS = 100;
const MAX_RESULTS = 500;

const searchInput = z.object({
  pattern: z.string().min(1, "pattern must not be empty"),
  path: z.string().min(1, "path must not be empty").optional(),
  glob: z.string().min(1, "glob must not be empty").optional(),
  case_insensitive: flag.optional(),
  fixed_strings: flag.optional(),
  max_results: integer.pipe(z.number().min(1, "max_results must be at least 1")).optional(),
});

export function createSearchTool(searcher: Searcher): Tool {
  return {
    definition: {
      name: "search",
      description:
        "Search the files of the worktree for a regular expression (or, with fixed_strings, plain text). Answers with `path:line:text` lines, paths relative to the worktree. More bounded than grep through bash; .git, what .gitignore leaves out, binary files and symlinks inside folders are skipped (name a file or folder in path to search it anyway).",
      input_schema: {
        type: "object",
        properties: {
          pattern: {
            type: "string",
            description:
              "The regular expression, in ripgrep's syntax: Perl-like (\\d, \\w, \\b, (?i), lazy quantifiers), without look-around or backreferences.",
          },
          path: {
            type: "string",
            description:
              "A file or directory to search in, relative to the worktree. Default: the whole worktree.",
          },
          glob: {
            type: "string",
            description:
              "Only files matching this glob, e.g. `*.ts` (a file's name) or `src/**/*.py` (its path from the worktree).",
          },
          case_insensitive: { type: "boolean", description: "Ignore case. Default false." },
          fixed_strings: {
            type: "boolean",
            description: "Treat the pattern as plain text. Default false.",
          },
          max_results: {
            type: "integer",
            description: `At most this many matching lines (default ${DEFAULT_RESULTS}, at most ${MAX_RESULTS}).`,
          },
        },
        required: ["pattern"],
      },
    },
    async execute(rawInput, signal): Promise<ToolOutcome> {
      const parsed = parseToolInput("search", searchInput, rawInput);
      if (!parsed.ok) return parsed.outcome;
      const input = parsed.data;
      const maxResults = Math.min(input.max_results ?? DEFAULT_RESULTS, MAX_RESULTS);
      let result;
      try {
        result = await searcher.search({
          pattern: input.pattern,
          path: input.path,
          glob: input.glob,
          ignoreCase: input.case_insensitive ?? false,
          fixedStrings: input.fixed_strings ?? false,
          maxResults,
          signal,
        });
      } catch (error) {
        if (error instanceof PathOutsideWorkspaceError || error instanceof ToolInputError) {
          return { output: error.message, isError: true, readOnly: true };
        }
        throw error;
      }
      const details = { engine: result.engine, matches: result.matches.length };
      if (result.error !== null) {
        return {
          output: `The search failed (${result.engine}): ${result.error}`,
          isError: true,
          readOnly: true,
          details,
        };
      }
      if (result.matches.length === 0) {
        return { output: "No matches.", isError: false, readOnly: true, details };
      }
      const note = result.truncated
        ? `\n[Only the first ${maxResults} matching lines are shown; narrow the search with path or glob, or raise max_results (at most ${MAX_RESULTS}).]`
        : "";
      return {
        output: result.matches.join("\n") + note,
        isError: false,
        readOnly: true,
        details,
      };
    },
  };
}
