// The commands of Anthropic's `memory` tool (`memory_20250818`) on a
// repository's memory files: view, create, str_replace, insert, delete and
// rename, as pure functions from the files as they are to a result and a
// change, so the store can run them inside one serialised write. Paths are
// confined to `/memories`; files and the whole memory have size caps.
import { sanitizeUntrusted } from "../policy/sanitize.ts";
import type { MemoryChange, MemoryFile, MemoryPort } from "./ports.ts";

export const MEMORY_ROOT = "/memories";

export interface MemoryLimits {
  /** Bytes (UTF-8) one file may hold. */
  fileBytes: number;
  /** Bytes all files together may hold. */
  totalBytes: number;
  files: number;
}

/** Small enough that the whole memory fits a prompt's notes without crowding out the work. */
export const MEMORY_LIMITS: MemoryLimits = { fileBytes: 16_384, totalBytes: 65_536, files: 100 };

export type MemoryCommand =
  | { command: "view"; path: string; view_range?: [number, number] | undefined }
  | { command: "create"; path: string; file_text: string }
  | { command: "str_replace"; path: string; old_str: string; new_str: string }
  | { command: "insert"; path: string; insert_line: number; insert_text: string }
  | { command: "delete"; path: string }
  | { command: "rename"; old_path: string; new_path: string };

/** A request the memory refuses, worded for the model to correct. */
export class MemoryError extends Error {
  override name = "MemoryError";
}

export interface MemoryOutcome {
  output: string;
  change?: MemoryChange;
}

const SEGMENT = /^[\w.@+-][\w .@+-]{0,99}$/u;

/** The normalised path (no trailing slash), or a MemoryError that says what is wrong with it. */
export function memoryPath(raw: string): string {
  const path = raw.trim();
  if (path !== MEMORY_ROOT && !path.startsWith(`${MEMORY_ROOT}/`)) {
    throw new MemoryError(
      `The path ${JSON.stringify(raw)} is outside ${MEMORY_ROOT}: memory paths start with ${MEMORY_ROOT}/, such as ${MEMORY_ROOT}/notes.md.`,
    );
  }
  const segments = path.slice(MEMORY_ROOT.length).split("/").slice(1);
  if (segments.at(-1) === "") segments.pop();
  for (const segment of segments) {
    if (segment === ".." || segment === ".") {
      throw new MemoryError(
        `The path ${JSON.stringify(raw)} uses "${segment}"; memory paths may not leave or walk around ${MEMORY_ROOT}. Name the file directly, such as ${MEMORY_ROOT}/notes.md.`,
      );
    }
    if (!SEGMENT.test(segment)) {
      throw new MemoryError(
        `The path ${JSON.stringify(raw)} has a part that is empty or not a plain name (letters, digits, spaces, . _ - @ +, at most 100 characters each).`,
      );
    }
  }
  if (segments.length > 6) {
    throw new MemoryError(`The path ${JSON.stringify(raw)} is more than 6 folders deep.`);
  }
  return segments.length === 0 ? MEMORY_ROOT : `${MEMORY_ROOT}/${segments.join("/")}`;
}

const bytes = (text: string) => Buffer.byteLength(text, "utf8");
const under = (dir: string, path: string) => path.startsWith(`${dir}/`);

function fileAt(files: readonly MemoryFile[], path: string): MemoryFile | undefined {
  return files.find((f) => f.path === path);
}

function mustFile(files: readonly MemoryFile[], path: string): MemoryFile {
  const file = fileAt(files, path);
  if (file) return file;
  if (files.some((f) => under(path, f.path))) {
    throw new MemoryError(`${path} is a folder, not a file.`);
  }
  throw new MemoryError(`${path} does not exist. View ${MEMORY_ROOT} to see the files there are.`);
}

/** Refuses a change that would break a cap, naming the cap and what to do. */
function checkLimits(
  files: readonly MemoryFile[],
  change: MemoryChange,
  limits: MemoryLimits,
): void {
  for (const file of change.put) {
    const size = bytes(file.content);
    if (size > limits.fileBytes) {
      throw new MemoryError(
        `${file.path} would hold ${size.toLocaleString("en-US")} bytes; a memory file holds at most ${limits.fileBytes.toLocaleString("en-US")}. Keep notes short, or split them by topic.`,
      );
    }
  }
  const gone = new Set([...change.remove, ...change.put.map((f) => f.path)]);
  const after = [...files.filter((f) => !gone.has(f.path)), ...change.put];
  const total = after.reduce((n, f) => n + bytes(f.content), 0);
  if (total > limits.totalBytes) {
    throw new MemoryError(
      `The memory would hold ${total.toLocaleString("en-US")} bytes; it holds at most ${limits.totalBytes.toLocaleString("en-US")} in all. Delete or shorten notes that no longer help.`,
    );
  }
  if (after.length > limits.files) {
    throw new MemoryError(
      `The memory would hold ${after.length} files; it holds at most ${limits.files}. Merge or delete some first.`,
    );
  }
}

function numbered(lines: string[], first: number): string {
  return lines.map((line, i) => `${String(i + first).padStart(6, " ")}\t${line}`).join("\n");
}

function view(files: readonly MemoryFile[], rawPath: string, range?: [number, number]): string {
  const path = memoryPath(rawPath);
  const file = fileAt(files, path);
  if (file) {
    const lines = file.content.split("\n");
    const [from, to] = range ?? [1, lines.length];
    const start = Math.max(1, from);
    const end = to === -1 ? lines.length : Math.min(lines.length, to);
    if (start > lines.length || end < start) {
      throw new MemoryError(
        `view_range ${JSON.stringify(range)} is outside ${path}, which has ${lines.length} lines.`,
      );
    }
    return `Here's the content of ${path} with line numbers:\n${numbered(lines.slice(start - 1, end), start)}`;
  }
  const inside = files.filter((f) => path === MEMORY_ROOT || under(path, f.path));
  if (inside.length === 0) {
    if (path === MEMORY_ROOT) return `${MEMORY_ROOT} is empty: no notes yet.`;
    throw new MemoryError(
      `${path} does not exist. View ${MEMORY_ROOT} to see the files there are.`,
    );
  }
  const listing = inside.map((f) => `${bytes(f.content)}\t${f.path}`).join("\n");
  return `The files in ${path} (bytes, path):\n${listing}`;
}

function rename(files: readonly MemoryFile[], from: string, to: string): MemoryChange {
  if (from === MEMORY_ROOT || to === MEMORY_ROOT) {
    throw new MemoryError(`${MEMORY_ROOT} itself cannot be renamed.`);
  }
  if (fileAt(files, to) || files.some((f) => under(to, f.path))) {
    throw new MemoryError(`${to} already exists; delete it first or choose another name.`);
  }
  if (under(from, to)) throw new MemoryError(`${from} cannot be moved into itself.`);
  const parent = files.find((f) => to.startsWith(`${f.path}/`));
  if (parent) throw new MemoryError(`${parent.path} is a file, so it cannot hold ${to}.`);
  const file = fileAt(files, from);
  if (file) return { put: [{ path: to, content: file.content }], remove: [from] };
  const moved = files.filter((f) => under(from, f.path));
  if (moved.length === 0) throw new MemoryError(`${from} does not exist.`);
  return {
    put: moved.map((f) => ({ path: to + f.path.slice(from.length), content: f.content })),
    remove: moved.map((f) => f.path),
  };
}

/** Runs one command on the files; throws MemoryError for a request to refuse. */
export function runMemoryCommand(
  files: readonly MemoryFile[],
  input: MemoryCommand,
  limits: MemoryLimits = MEMORY_LIMITS,
): MemoryOutcome {
  const outcome = ((): MemoryOutcome => {
    switch (input.command) {
      case "view":
        return { output: sanitizeUntrusted(view(files, input.path, input.view_range), Infinity) };
      case "create": {
        const path = memoryPath(input.path);
        if (path === MEMORY_ROOT)
          throw new MemoryError(`${MEMORY_ROOT} is a folder; name a file in it.`);
        if (fileAt(files, path)) {
          throw new MemoryError(
            `${path} already exists. Edit it with str_replace or insert, or delete it first.`,
          );
        }
        if (files.some((f) => under(path, f.path))) throw new MemoryError(`${path} is a folder.`);
        const parent = files.find((f) => path.startsWith(`${f.path}/`));
        if (parent) throw new MemoryError(`${parent.path} is a file, so it cannot hold ${path}.`);
        const content = clean(input.file_text);
        return {
          output: `File created successfully at: ${path}`,
          change: { put: [{ path, content }], remove: [] },
        };
      }
      case "str_replace": {
        const file = mustFile(files, memoryPath(input.path));
        const count = file.content.split(input.old_str).length - 1;
        if (input.old_str === "" || count === 0) {
          throw new MemoryError(
            `No replacement was made: old_str did not appear verbatim in ${file.path}.`,
          );
        }
        if (count > 1) {
          throw new MemoryError(
            `No replacement was made: old_str appears ${count} times in ${file.path}; include more text so it is unique.`,
          );
        }
        const content = clean(file.content.replace(input.old_str, () => input.new_str));
        return {
          output: `The memory file ${file.path} has been edited.`,
          change: { put: [{ path: file.path, content }], remove: [] },
        };
      }
      case "insert": {
        const file = mustFile(files, memoryPath(input.path));
        const lines = file.content.split("\n");
        if (input.insert_line < 0 || input.insert_line > lines.length) {
          throw new MemoryError(
            `insert_line ${input.insert_line} is outside ${file.path}: it must be from 0 to ${lines.length}.`,
          );
        }
        lines.splice(input.insert_line, 0, input.insert_text.replace(/\n$/, ""));
        return {
          output: `The memory file ${file.path} has been edited.`,
          change: { put: [{ path: file.path, content: clean(lines.join("\n")) }], remove: [] },
        };
      }
      case "delete": {
        const path = memoryPath(input.path);
        if (path === MEMORY_ROOT) {
          throw new MemoryError(`${MEMORY_ROOT} itself cannot be deleted; delete the files in it.`);
        }
        const gone = files.filter((f) => f.path === path || under(path, f.path)).map((f) => f.path);
        if (gone.length === 0) throw new MemoryError(`${path} does not exist.`);
        return { output: `Successfully deleted ${path}`, change: { put: [], remove: gone } };
      }
      case "rename": {
        const from = memoryPath(input.old_path);
        const to = memoryPath(input.new_path);
        return {
          output: `Successfully renamed ${from} to ${to}`,
          change: rename(files, from, to),
        };
      }
    }
  })();
  if (outcome.change) checkLimits(files, outcome.change, limits);
  return outcome;
}

/**
 * A memory held in this process only, from the files given: what `stamina replay` gives a
 * recorded session, so its memory calls answer as they did without touching any store.
 */
export function scratchMemory(files: readonly MemoryFile[]): MemoryPort {
  let current = [...files];
  return {
    read: () => Promise.resolve([...current]),
    edit: (edit) => {
      // Synchronous from read to write: nothing else in this process runs in between.
      const { result, change } = edit(current);
      if (change) {
        const gone = new Set([...change.remove, ...change.put.map((f) => f.path)]);
        current = [...current.filter((f) => !gone.has(f.path)), ...change.put].sort((a, b) =>
          a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
        );
      }
      return Promise.resolve(result);
    },
  };
}

/** What a note may hold: hidden content (HTML comments, invisible characters) never is. */
function clean(text: string): string {
  return sanitizeUntrusted(text, Infinity);
}
