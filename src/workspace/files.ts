// Anthropic's text editor tool (`str_replace_based_edit_tool`) on the
// worktree: view, create, str_replace and insert, each confined to the
// workspace, each failing with a message the model can act on. Files are
// opened through worktree-fs.ts, so the file checked is the file read and
// written, whatever the agent's shell does to the path meanwhile.
import { ToolInputError, type EditorInput } from "./editor-input.ts";
import { numberLines, readCapped, splitLines, viewDirectory, viewFile } from "./editor-view.ts";
import { rewrite, shownPath, withWorktreeEntry, type WorktreeEntry } from "./worktree-fs.ts";

export { editorInputSchema, ToolInputError, type EditorInput } from "./editor-input.ts";
export { PathOutsideWorkspaceError } from "./paths.ts";

const SNIPPET_LINES = 4;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export async function executeEditorCommand(root: string, input: EditorInput): Promise<string> {
  // Messages name the path as the model sees it: under `root`, not its real location.
  const shown = shownPath(root, input.path);
  switch (input.command) {
    case "view":
      return withWorktreeEntry(root, input.path, "read", async (entry) => {
        if (entry === null) throw new ToolInputError(`${shown} does not exist.`);
        if (entry.stat.isDirectory()) return viewDirectory(entry.handle, shown);
        return viewFile(entry, shown, input.view_range);
      });
    case "create":
      return withWorktreeEntry(root, input.path, "create", async (entry) => {
        if (entry === null || !entry.stat.isFile()) {
          throw new ToolInputError(
            `${shown} exists and is not a regular file; choose another path.`,
          );
        }
        await rewrite(entry, input.file_text);
        return entry.created ? `File created: ${shown}` : `File overwritten: ${shown}`;
      });
    case "str_replace":
      return withWorktreeEntry(root, input.path, "edit", async (entry) => {
        const file = existingFile(entry, shown);
        return replace(
          file,
          await readText(file, shown),
          shown,
          input.old_str,
          input.new_str ?? "",
        );
      });
    case "insert": {
      const text = input.insert_text ?? input.new_str;
      if (text === undefined) {
        throw new ToolInputError("The insert command needs insert_text: the text to insert.");
      }
      return withWorktreeEntry(root, input.path, "edit", async (entry) => {
        const file = existingFile(entry, shown);
        return insert(file, await readText(file, shown), shown, input.insert_line, text);
      });
    }
  }
}

/** What an edit needs: a file that exists. */
function existingFile(entry: WorktreeEntry | null, shown: string): WorktreeEntry {
  if (entry === null) throw new ToolInputError(`${shown} does not exist; use create to make it.`);
  if (!entry.stat.isFile()) throw new ToolInputError(`${shown} is not a file.`);
  return entry;
}

/** The file's text, for an edit: UTF-8, read through its fd. */
async function readText(entry: WorktreeEntry, shown: string): Promise<string> {
  const bytes = await readCapped(entry, shown, "edit");
  try {
    return strictUtf8.decode(bytes);
  } catch (error) {
    if (error instanceof TypeError) {
      throw new ToolInputError(`${shown} is not UTF-8 text; edit it with bash instead.`);
    }
    throw error;
  }
}

async function replace(
  entry: WorktreeEntry,
  text: string,
  shown: string,
  oldStr: string,
  newStr: string,
): Promise<string> {
  const at: number[] = [];
  for (let i = text.indexOf(oldStr); i !== -1; i = text.indexOf(oldStr, i + oldStr.length)) {
    at.push(i);
  }
  if (at.length === 0) {
    throw new ToolInputError(
      `No replacement was made: old_str does not appear verbatim in ${shown}. Check whitespace and indentation, or view the file to copy the exact text.`,
    );
  }
  if (at.length > 1) {
    const lines = at.map((i) => lineOf(text, i)).join(", ");
    throw new ToolInputError(
      `No replacement was made: old_str appears ${at.length} times in ${shown}, starting at lines ${lines}. Include more surrounding lines so that it matches exactly once.`,
    );
  }
  const index = at[0] ?? 0;
  const updated = text.slice(0, index) + newStr + text.slice(index + oldStr.length);
  await rewrite(entry, updated);
  const first = lineOf(updated, index);
  const last = first + splitLines(newStr).length;
  return `The file ${shown} has been edited. ${snippet(updated, first, last)}Review the changes and edit the file again if needed.`;
}

async function insert(
  entry: WorktreeEntry,
  text: string,
  shown: string,
  after: number,
  insertText: string,
): Promise<string> {
  const lines = splitLines(text);
  if (after < 0 || after > lines.length) {
    throw new ToolInputError(
      `Invalid insert_line ${after}: it must be between 0 (before the first line) and ${lines.length} (after the last line of ${shown}).`,
    );
  }
  const added = splitLines(insertText);
  const merged = [...lines.slice(0, after), ...added, ...lines.slice(after)];
  // Keep the file's own ending: a final newline stays, and an empty file gets one.
  const ending = text === "" || text.endsWith("\n") ? "\n" : "";
  await rewrite(entry, merged.join("\n") + (merged.length > 0 ? ending : ""));
  return `The file ${shown} has been edited. ${snippet(merged.join("\n"), after + 1, after + added.length)}Review the changes and edit the file again if needed.`;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function snippet(text: string, first: number, last: number): string {
  const lines = splitLines(text);
  const from = Math.max(1, first - SNIPPET_LINES);
  const to = Math.min(lines.length, Math.max(first, last) + SNIPPET_LINES);
  return `Here's a snippet of the result:\n${numberLines(lines.slice(from - 1, to), from)}\n`;
}
