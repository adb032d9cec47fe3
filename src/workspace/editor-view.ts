// The editor's `view` command: a file with `cat -n` style line numbers, or a
// directory two levels deep, both through fds that worktree-fs.ts opened. A view
// is bounded (lines, characters, and each line's length), and every cut says which
// call shows what follows; that call always shows something new, so following the
// notes reaches the end of any file, a single 500 KB line included.
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { ToolInputError } from "./editor-input.ts";
import { listFolder, openSubfolder, readBounded, type WorktreeEntry } from "./worktree-fs.ts";

const MAX_VIEW_LINES = 2_000;
/**
 * The most characters one view returns: about 25,000 tokens at 4 characters a token (code
 * often runs nearer 3, so a little more). Also the tool definition's `max_characters`.
 */
export const MAX_VIEW_CHARS = 100_000;
/** Longer lines are cut in a view, with a note naming the call that shows the rest. */
const MAX_LINE_CHARS = 2_000;
/** The window that note offers on the rest of a long line. */
const PIECE_CHARS = 20_000;
/** The most the editor reads of a file, to view or to edit it. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_ENTRIES = 1_000;
const SKIPPED = new Set([".git", "node_modules"]);

export function numberLines(lines: string[], first: number): string {
  return lines.map((line, i) => `${String(first + i).padStart(6)}\t${line}`).join("\n");
}

/** A file's lines, without the empty string a final newline would add. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (text.endsWith("\n")) lines.pop();
  return lines;
}

/** A regular file's bytes, read through its fd, up to MAX_FILE_BYTES. */
export async function readCapped(
  entry: WorktreeEntry,
  shown: string,
  verb: "view" | "edit",
): Promise<Buffer> {
  const bytes = await readBounded(entry, MAX_FILE_BYTES);
  if (bytes === null) {
    const size = Math.max(entry.stat.size, MAX_FILE_BYTES + 1);
    throw new ToolInputError(
      `${shown} is ${Math.round(size / 1024 / 1024)} MB, too large to ${verb}; use bash (grep -n, sed -n 'A,Bp') to look at parts of it.`,
    );
  }
  return bytes;
}

export async function viewFile(
  entry: WorktreeEntry,
  shown: string,
  range: [number, number] | undefined,
  chars: [number, number] | undefined,
): Promise<string> {
  const bytes = await readCapped(entry, shown, "view");
  if (bytes.subarray(0, 8_000).includes(0)) {
    throw new ToolInputError(`${shown} is a binary file; the editor only shows text.`);
  }
  const lines = splitLines(bytes.toString("utf8"));
  if (chars !== undefined) return viewPiece(lines, shown, range, chars);
  const start = range?.[0] ?? 1;
  let end = range?.[1] ?? -1;
  if (range !== undefined) {
    if (start < 1 || start > Math.max(lines.length, 1)) {
      throw new ToolInputError(
        `Invalid view_range [${start}, ${end}]: the first line must be between 1 and ${lines.length}, the file's line count.`,
      );
    }
    if (end !== -1 && end < start) {
      throw new ToolInputError(
        `Invalid view_range [${start}, ${end}]: the last line must be -1 (end of file) or at least ${start}.`,
      );
    }
  }
  if (end === -1 || end > lines.length) end = lines.length;
  const shownLines = bounded(lines, start, end);
  let text = numberLines(shownLines, start);
  const next = start + shownLines.length;
  if (next <= end) text += `\n${moreLines(next, end, lines.length)}`;
  return `Here's the result of running \`cat -n\` on ${shown}:\n${text}\n`;
}

/**
 * Lines `start` to `end` (1-based) as one view shows them: each long one cut, no more than
 * MAX_VIEW_LINES and MAX_VIEW_CHARS in all, and never none (a cut line is short), so every
 * view moves on.
 */
export function bounded(lines: string[], start: number, end: number): string[] {
  const shownLines: string[] = [];
  let size = 0;
  for (let n = start; n <= end && n <= lines.length; n++) {
    const line = cutLine(lines[n - 1] ?? "", n);
    size += line.length + 8;
    if (shownLines.length > 0 && (shownLines.length >= MAX_VIEW_LINES || size > MAX_VIEW_CHARS)) {
      break;
    }
    shownLines.push(line);
  }
  return shownLines;
}

/** The note after a view of lines up to `end` cut before line `next`. */
export function moreLines(next: number, end: number, total: number): string {
  const until = Math.min(next + MAX_VIEW_LINES - 1, end);
  return `[Output cut after line ${next - 1} of ${total}: one view shows at most ${MAX_VIEW_LINES} lines and ${MAX_VIEW_CHARS} characters. Use view_range [${next}, ${until}] to see more, or search (or grep -n) to find what you need.]`;
}

/** The line as a view shows it: a long one cut, with the call that shows what follows. */
function cutLine(line: string, n: number): string {
  if (line.length <= MAX_LINE_CHARS) return line;
  return `${line.slice(0, MAX_LINE_CHARS)}${nextPiece(n, MAX_LINE_CHARS, line.length)}`;
}

/** The note after a piece of line `n` that ends at character `shownTo`. */
function nextPiece(n: number, shownTo: number, length: number): string {
  const to = Math.min(shownTo + PIECE_CHARS, length);
  return ` [line ${n} cut: characters 1-${shownTo} of ${length} shown; view_range [${n}, ${n}] with char_range [${shownTo + 1}, ${to}] shows the next piece]`;
}

/** Characters `chars` of the one line `range` names, as many as one view holds. */
function viewPiece(
  lines: string[],
  shown: string,
  range: [number, number] | undefined,
  chars: [number, number],
): string {
  const [first, last] = chars;
  const n = range?.[0];
  if (range === undefined || n === undefined || range[1] !== n) {
    throw new ToolInputError(
      `char_range needs view_range to name one line, e.g. view_range [${n ?? 1}, ${n ?? 1}] with char_range [${first}, ${last}].`,
    );
  }
  if (n < 1 || n > lines.length) {
    throw new ToolInputError(
      `Invalid view_range [${n}, ${n}]: the line must be between 1 and ${lines.length}, the file's line count.`,
    );
  }
  const line = lines[n - 1] ?? "";
  if (first < 1 || first > Math.max(line.length, 1) || (last !== -1 && last < first)) {
    throw new ToolInputError(
      `Invalid char_range [${first}, ${last}]: line ${n} has ${line.length} characters; give [first, last] with 1 <= first <= ${Math.max(line.length, 1)} and last >= first (or -1 for the end of the line).`,
    );
  }
  const wanted = last === -1 ? line.length : Math.min(last, line.length);
  const to = Math.min(wanted, first - 1 + MAX_VIEW_CHARS);
  let text = numberLines([line.slice(first - 1, to)], n);
  if (to < line.length) {
    const after = Math.min(to + PIECE_CHARS, line.length);
    text += `\n[Line ${n} goes on: characters ${to + 1}-${line.length} not shown. view_range [${n}, ${n}] with char_range [${to + 1}, ${after}] shows the next piece.]`;
  }
  return `Here's the result of running \`cat -n\` on ${shown}, line ${n}, characters ${first}-${to} of ${line.length}:\n${text}\n`;
}

export async function viewDirectory(folder: FileHandle, shown: string): Promise<string> {
  const entries: string[] = [];
  let cut = false;
  const walk = async (dir: FileHandle, display: string, depth: number) => {
    const children = await listFolder(dir);
    children.sort((a, b) => a.name.localeCompare(b.name));
    for (const child of children) {
      if (SKIPPED.has(child.name)) continue;
      if (entries.length >= MAX_ENTRIES) {
        cut = true;
        return;
      }
      const full = join(display, child.name);
      // A symlink is listed as itself and never followed.
      entries.push(child.isDirectory() ? `${full}/` : full);
      if (!child.isDirectory() || depth >= 2) continue;
      const sub = await openSubfolder(dir, child.name);
      if (sub === null) continue; // no longer a folder
      try {
        await walk(sub, full, depth + 1);
      } finally {
        await sub.close();
      }
    }
  };
  await walk(folder, shown, 1);
  const note = cut
    ? `\n[Listing cut at ${MAX_ENTRIES} entries; view a subdirectory to see more.]`
    : "";
  return `Here are the files and directories up to 2 levels deep in ${shown}, excluding .git and node_modules:\n${entries.join("\n")}${note}\n`;
}
