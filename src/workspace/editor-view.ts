// The editor's `view` command: a file with `cat -n` style line numbers (capped,
// with a note that says how to see the rest), or a directory two levels deep,
// both through fds that worktree-fs.ts opened.
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { ToolInputError } from "./editor-input.ts";
import { listFolder, openSubfolder, readBounded, type WorktreeEntry } from "./worktree-fs.ts";

const MAX_VIEW_LINES = 16_000;
const MAX_VIEW_BYTES = 400_000;
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
): Promise<string> {
  const bytes = await readCapped(entry, shown, "view");
  if (bytes.subarray(0, 8_000).includes(0)) {
    throw new ToolInputError(`${shown} is a binary file; the editor only shows text.`);
  }
  const lines = splitLines(bytes.toString("utf8"));
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
  const picked = lines.slice(start - 1, end);
  let bytesSoFar = 0;
  let count = 0;
  for (const line of picked) {
    bytesSoFar += Buffer.byteLength(line) + 8;
    if (count >= MAX_VIEW_LINES || bytesSoFar > MAX_VIEW_BYTES) break;
    count++;
  }
  let text = numberLines(picked.slice(0, count), start);
  if (count < picked.length) {
    const next = start + count;
    text += `\n[Output cut after line ${next - 1} of ${lines.length}. Use view_range [${next}, ${Math.min(next + 1000, lines.length)}] to see more, or bash (grep -n) to find what you need.]`;
  }
  return `Here's the result of running \`cat -n\` on ${shown}:\n${text}\n`;
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
