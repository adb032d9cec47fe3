// Anthropic's text editor tool (`str_replace_based_edit_tool`) on the
// worktree: view, create, str_replace and insert, each confined to the
// workspace, each failing with a message the model can act on. Files are
// opened through worktree-fs.ts, so the file checked is the file read and
// written, whatever the agent's shell does to the path meanwhile.
import { join } from "node:path";
import { ToolInputError, type EditorInput } from "./editor-input.ts";
import {
  bounded,
  moreLines,
  numberLines,
  readCapped,
  splitLines,
  viewDirectory,
  viewFile,
} from "./editor-view.ts";
import { lineEndingsOf, toCrlf, toLf, withEndings } from "./line-endings.ts";
import { rewrite, shownPath, withWorktreeEntry, type WorktreeEntry } from "./worktree-fs.ts";

export { editorInputSchema, ToolInputError, type EditorInput } from "./editor-input.ts";
export { MAX_VIEW_CHARS } from "./editor-view.ts";
export { PathOutsideWorkspaceError } from "./paths.ts";

const SNIPPET_LINES = 4;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** What a command did: the text for the model and, after an edit, the file before and after. */
export interface EditorResult {
  output: string;
  edited?: EditedFile;
}

interface EditedFile {
  /** Where it really is: under the worktree root, symlinks resolved. */
  path: string;
  /** null: the edit created it. */
  before: string | null;
  after: string;
}

export async function executeEditorCommand(
  root: string,
  input: EditorInput,
): Promise<EditorResult> {
  // Messages name the path as the model sees it: under `root`, not its real location.
  const shown = shownPath(root, input.path);
  const edited = (entry: WorktreeEntry, before: string | null, after: string) => ({
    path: join(root, entry.rel),
    before,
    after,
  });
  switch (input.command) {
    case "view":
      return withWorktreeEntry(root, input.path, "read", async (entry) => {
        if (entry === null) throw new ToolInputError(`${shown} does not exist.`);
        if (entry.stat.isDirectory()) return { output: await viewDirectory(entry.handle, shown) };
        return { output: await viewFile(entry, shown, input.view_range, input.char_range) };
      });
    case "create":
      return withWorktreeEntry(root, input.path, "create", async (entry) => {
        if (entry === null || !entry.stat.isFile()) {
          throw new ToolInputError(
            `${shown} exists and is not a regular file; choose another path.`,
          );
        }
        const before = entry.created ? null : await readText(entry, shown).catch(() => null);
        await rewrite(entry, input.file_text);
        const output = entry.created ? `File created: ${shown}` : `File overwritten: ${shown}`;
        return { output, edited: edited(entry, before, input.file_text) };
      });
    case "str_replace":
      return withWorktreeEntry(root, input.path, "edit", async (entry) => {
        const file = existingFile(entry, shown);
        const text = await readText(file, shown);
        const done = await replace(file, text, shown, input.old_str, input.new_str ?? "");
        return { output: done.output, edited: edited(file, text, done.after) };
      });
    case "insert": {
      const insertText = input.insert_text ?? input.new_str;
      if (insertText === undefined) {
        throw new ToolInputError("The insert command needs insert_text: the text to insert.");
      }
      return withWorktreeEntry(root, input.path, "edit", async (entry) => {
        const file = existingFile(entry, shown);
        const text = await readText(file, shown);
        const done = await insert(file, text, shown, input.insert_line, insertText);
        return { output: done.output, edited: edited(file, text, done.after) };
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

interface Done {
  output: string;
  after: string;
}

/**
 * Where old_str is, and the new_str to put there: literally first, then with its line breaks
 * as the file has them (a model writes "\n"; a Windows file has "\r\n"). new_str gets the
 * file's own line endings when the file is consistent, else those of the text it replaces.
 */
function locate(text: string, oldStr: string, newStr: string) {
  const endings = lineEndingsOf(text);
  const forms = [
    { old: oldStr, new: withEndings(newStr, endings) },
    { old: toCrlf(oldStr), new: toCrlf(newStr) },
    { old: toLf(oldStr), new: toLf(newStr) },
  ];
  for (const form of forms) {
    const at: number[] = [];
    for (
      let i = text.indexOf(form.old);
      i !== -1;
      i = text.indexOf(form.old, i + form.old.length)
    ) {
      at.push(i);
    }
    if (at.length > 0) return { at, ...form };
  }
  return null;
}

async function replace(
  entry: WorktreeEntry,
  text: string,
  shown: string,
  oldStr: string,
  newStr: string,
): Promise<Done> {
  const found = locate(text, oldStr, newStr);
  if (found === null) {
    const breaks = oldStr.includes("\n") ? " (its line breaks tried as \\n and as \\r\\n)" : "";
    throw new ToolInputError(
      `No replacement was made: old_str does not appear verbatim in ${shown}${breaks}. Check whitespace and indentation, or view the file to copy the exact text.`,
    );
  }
  const { at } = found;
  if (at.length > 1) {
    const lines = at.map((i) => lineOf(text, i)).join(", ");
    throw new ToolInputError(
      `No replacement was made: old_str appears ${at.length} times in ${shown}, starting at lines ${lines}. Include more surrounding lines so that it matches exactly once.`,
    );
  }
  const index = at[0] ?? 0;
  const after = text.slice(0, index) + found.new + text.slice(index + found.old.length);
  await rewrite(entry, after);
  const first = lineOf(after, index);
  const last = first + splitLines(found.new).length;
  return {
    output: `The file ${shown} has been edited. ${snippet(after, first, last)}Review the changes and edit the file again if needed.`,
    after,
  };
}

async function insert(
  entry: WorktreeEntry,
  text: string,
  shown: string,
  after: number,
  insertText: string,
): Promise<Done> {
  // A file with one kind of line break keeps it: the inserted lines get it too.
  const endings = lineEndingsOf(text);
  const eol = endings === "crlf" ? "\r\n" : "\n";
  const plain = endings === "crlf" || endings === "lf" ? toLf : (t: string) => t;
  const lines = splitLines(plain(text));
  if (after < 0 || after > lines.length) {
    throw new ToolInputError(
      `Invalid insert_line ${after}: it must be between 0 (before the first line) and ${lines.length} (after the last line of ${shown}).`,
    );
  }
  const added = splitLines(plain(insertText));
  const merged = [...lines.slice(0, after), ...added, ...lines.slice(after)];
  // Keep the file's own ending: a final newline stays, and an empty file gets one.
  const ending = text === "" || text.endsWith("\n") ? eol : "";
  const written = merged.join(eol) + (merged.length > 0 ? ending : "");
  await rewrite(entry, written);
  return {
    output: `The file ${shown} has been edited. ${snippet(merged.join("\n"), after + 1, after + added.length)}Review the changes and edit the file again if needed.`,
    after: written,
  };
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
  const shown = bounded(lines, from, to);
  const next = from + shown.length;
  const more = next <= to ? `\n${moreLines(next, to, lines.length)}` : "";
  return `Here's a snippet of the result:\n${numberLines(shown, from)}${more}\n`;
}
