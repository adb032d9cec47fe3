// Anthropic's text editor tool (`str_replace_based_edit_tool`) on the
// worktree: view, create, str_replace and insert, each confined to the
// workspace, each failing with a message the model can act on.
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { ToolInputError, type EditorInput } from "./editor-input.ts";
import { numberLines, splitLines, viewDirectory, viewFile } from "./editor-view.ts";
import { resolveInWorktree } from "./paths.ts";

export { editorInputSchema, ToolInputError, type EditorInput } from "./editor-input.ts";
export { PathOutsideWorkspaceError, resolveInWorktree } from "./paths.ts";

const SNIPPET_LINES = 4;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export async function executeEditorCommand(root: string, input: EditorInput): Promise<string> {
  const real = await resolveInWorktree(root, input.path);
  // Messages name the path as the model sees it: under `root`, not its real location.
  const shown = shownPath(root, input.path);
  const kind = await stat(real).then(
    (s) => (s.isDirectory() ? "directory" : s.isFile() ? "file" : "other"),
    () => "missing" as const,
  );
  switch (input.command) {
    case "view":
      if (kind === "directory") return viewDirectory(real, shown);
      if (kind !== "file") throw new ToolInputError(`${shown} does not exist.`);
      return viewFile(real, shown, input.view_range);
    case "create":
      if (kind === "directory" || kind === "other") {
        throw new ToolInputError(`${shown} exists and is not a regular file; choose another path.`);
      }
      await mkdir(dirname(real), { recursive: true });
      await writeFile(real, input.file_text);
      return kind === "file" ? `File overwritten: ${shown}` : `File created: ${shown}`;
    case "str_replace":
      return replace(real, shown, kind, input.old_str, input.new_str ?? "");
    case "insert": {
      const text = input.insert_text ?? input.new_str;
      if (text === undefined) {
        throw new ToolInputError("The insert command needs insert_text: the text to insert.");
      }
      return insert(real, shown, kind, input.insert_line, text);
    }
  }
}

async function readText(real: string, shown: string, kind: string): Promise<string> {
  if (kind !== "file") {
    throw new ToolInputError(
      kind === "missing"
        ? `${shown} does not exist; use create to make it.`
        : `${shown} is not a file.`,
    );
  }
  try {
    return strictUtf8.decode(await readFile(real));
  } catch (error) {
    if (error instanceof TypeError) {
      throw new ToolInputError(`${shown} is not UTF-8 text; edit it with bash instead.`);
    }
    throw error;
  }
}

async function replace(
  real: string,
  shown: string,
  kind: string,
  oldStr: string,
  newStr: string,
): Promise<string> {
  const text = await readText(real, shown, kind);
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
  await writeFile(real, updated);
  const first = lineOf(updated, index);
  const last = first + splitLines(newStr).length;
  return `The file ${shown} has been edited. ${snippet(updated, first, last)}Review the changes and edit the file again if needed.`;
}

async function insert(
  real: string,
  shown: string,
  kind: string,
  after: number,
  insertText: string,
): Promise<string> {
  const text = await readText(real, shown, kind);
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
  await writeFile(real, merged.join("\n") + (merged.length > 0 ? ending : ""));
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

function shownPath(root: string, path: string): string {
  return isAbsolute(path) ? resolve(path) : resolve(root, path);
}
