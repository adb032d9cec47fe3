// Opening the worktree's files so that nothing the agent does there at the same
// time can send the harness elsewhere. The agent's sandboxed shell can swap a
// folder for a symlink between a check and an open by name; so nothing here is
// opened by a path from the worktree root. The root is opened once as a
// directory fd and each component is opened from its parent's fd
// (`/proc/self/fd/<N>/<name>`: Node has no openat) with O_NOFOLLOW. A symlink
// met on the way is read and resolved by us, textually, and the walk goes on
// from the root fd: one that stays inside works, one that leaves is refused.
// The last open does not block (a FIFO), and only regular files and folders are
// handed on, read with a bound.
import { constants, type Stats } from "node:fs";
import { lstat, mkdir, open, readdir, readlink, type FileHandle } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { ToolInputError } from "./editor-input.ts";
import { insideGitDir, isGitDir, outsideWorkspace } from "./paths.ts";

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } =
  constants;
const DIRECTORY = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
const MAX_LINKS = 40;
const CHUNK = 64 * 1024;

/** read: a file or folder, read only; edit: an existing file, read and written; create: a file, made with its folders if missing. */
export type OpenMode = "read" | "edit" | "create";

export interface WorktreeEntry {
  readonly handle: FileHandle;
  /** fstat of the open fd: a regular file or a directory, nothing else. */
  readonly stat: Stats;
  /** Where it really is, relative to the worktree root, symlinks resolved: "." for the root. */
  readonly rel: string;
  /** create: the file did not exist before. */
  readonly created: boolean;
}

/** The path through which a child opens `name` in the directory open as `fd` (or that directory). */
function fdPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

/** The path as the model sees it: under `root`, not its real location. */
export function shownPath(root: string, path: string): string {
  return isAbsolute(path) ? resolve(path) : resolve(root, path);
}

interface Walk {
  readonly root: string;
  readonly path: string;
  readonly rootHandle: FileHandle;
  readonly mode: OpenMode;
  links: number;
}

/**
 * Opens `path` (relative to `root`, or absolute under it) and calls `fn` with it,
 * or with null when it does not exist (never null in create mode). Every fd is
 * closed when `fn` settles. Throws PathOutsideWorkspaceError for a path or a
 * symlink that leaves the root or enters .git, and ToolInputError for a FIFO, a
 * socket or a device, or a path with a NUL character (no file is named so).
 */
export async function withWorktreeEntry<T>(
  root: string,
  path: string,
  mode: OpenMode,
  fn: (entry: WorktreeEntry | null) => Promise<T>,
): Promise<T> {
  if (path.includes("\0")) {
    throw new ToolInputError(
      `The path ${JSON.stringify(path)} contains a NUL character; no file can be named so.`,
    );
  }
  const rootHandle = await open(root, O_RDONLY | O_DIRECTORY);
  let entry: WorktreeEntry | null = null;
  try {
    entry = await walk({ root, path, rootHandle, mode, links: 0 });
    return await fn(entry);
  } finally {
    await entry?.handle.close();
    await rootHandle.close();
  }
}

/** The components asked for, relative to the root (absolute paths must be under it). */
async function requested(w: Walk): Promise<string[]> {
  const parts = w.path.replace(/\/+/g, "/").split("/");
  if (!isAbsolute(w.path)) return parts;
  for (const root of [resolve(w.root), await readlink(fdPath(w.rootHandle.fd))]) {
    const rootParts = root.split("/");
    if (rootParts.every((part, i) => parts[i] === part)) return parts.slice(rootParts.length);
  }
  throw outsideWorkspace(w.path, w.root);
}

type Step =
  | { kind: "open"; handle: FileHandle; created: boolean }
  | { kind: "link"; target: string }
  | { kind: "missing" };

async function walk(w: Walk): Promise<WorktreeEntry | null> {
  let pending = await requested(w);
  let done: string[] = [];
  let dir = w.rootHandle;
  const moveTo = async (next: FileHandle) => {
    if (dir !== w.rootHandle) await dir.close();
    dir = next;
  };
  try {
    for (;;) {
      pending = pending.filter((part) => part !== "" && part !== ".");
      const name = pending.shift();
      if (name === undefined) {
        // The path is a folder already walked (the root, or one reached by ".."): a new fd on
        // it, through its magic link, which names that very folder.
        const handle = await open(fdPath(dir.fd), O_RDONLY | O_DIRECTORY);
        return await entryOf(w, handle, done.join("/") || ".", false);
      }
      if (name === "..") {
        if (done.length === 0) throw outsideWorkspace(w.path, w.root);
        pending = [...done.slice(0, -1), ...pending];
        done = [];
        await moveTo(w.rootHandle);
        continue;
      }
      if (isGitDir(name)) throw insideGitDir(w.path, w.root);
      const last = pending.length === 0;
      const step = last ? await openLast(w, dir, name) : await openFolder(w, dir, name, done);
      if (step.kind === "missing") return null;
      if (step.kind === "link") {
        w.links++;
        if (w.links > MAX_LINKS) {
          throw new ToolInputError(`Too many symbolic links in ${shownPath(w.root, w.path)}.`);
        }
        pending = [...(await linkTarget(w, step.target, done)), ...pending];
        done = [];
        await moveTo(w.rootHandle);
        continue;
      }
      if (last) return await entryOf(w, step.handle, [...done, name].join("/"), step.created);
      done.push(name);
      await moveTo(step.handle);
    }
  } finally {
    if (dir !== w.rootHandle) await dir.close();
  }
}

/** A symlink's target as components from the root (the walk starts over from there). */
async function linkTarget(w: Walk, target: string, done: string[]): Promise<string[]> {
  if (!isAbsolute(target)) return [...done, ...target.split("/")];
  // An absolute target counts from the root's real location, which the root fd names.
  const realRoot = (await readlink(fdPath(w.rootHandle.fd))).split("/");
  const parts = target.split("/");
  if (realRoot.every((part, i) => parts[i] === part)) return parts.slice(realRoot.length);
  throw outsideWorkspace(w.path, w.root);
}

const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/** readlink of `name` in `dir`, or null when it is not a symlink (or is gone). */
async function linkIn(dir: FileHandle, name: string): Promise<string | null> {
  try {
    return await readlink(fdPath(dir.fd, name));
  } catch (error) {
    if (codeOf(error) === "EINVAL" || codeOf(error) === "ENOENT") return null;
    throw error;
  }
}

/** A folder on the way: opened without following, made in create mode when missing. */
async function openFolder(w: Walk, dir: FileHandle, name: string, done: string[]): Promise<Step> {
  for (let attempt = 0; ; attempt++) {
    try {
      return { kind: "open", handle: await open(fdPath(dir.fd, name), DIRECTORY), created: false };
    } catch (error) {
      const code = codeOf(error);
      if (code === "ELOOP" || code === "ENOTDIR") {
        const target = await linkIn(dir, name);
        if (target !== null) return { kind: "link", target };
        if (w.mode !== "create") return { kind: "missing" };
        throw new ToolInputError(
          `Cannot create ${shownPath(w.root, w.path)}: ${[...done, name].join("/")} is not a directory.`,
        );
      }
      if (code !== "ENOENT") throw error;
      if (w.mode !== "create" || attempt > MAX_LINKS) return { kind: "missing" };
      // mkdir never follows a final symlink; the open above then checks what is there.
      await mkdir(fdPath(dir.fd, name)).catch((e: unknown) => {
        if (codeOf(e) !== "EEXIST") throw e;
      });
    }
  }
}

/** The last component: never followed, never blocking (a FIFO). */
async function openLast(w: Walk, dir: FileHandle, name: string): Promise<Step> {
  const at = fdPath(dir.fd, name);
  let exclusive = w.mode === "create";
  for (let tries = 0; tries <= MAX_LINKS; tries++) {
    try {
      if (exclusive) {
        const flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK;
        return { kind: "open", handle: await open(at, flags, 0o666), created: true };
      }
      const access = w.mode === "read" ? O_RDONLY : w.mode === "edit" ? O_RDWR : O_WRONLY;
      const handle = await open(at, access | O_NOFOLLOW | O_NONBLOCK);
      return { kind: "open", handle, created: false };
    } catch (error) {
      const code = codeOf(error);
      if (code === "EEXIST") {
        exclusive = false; // create: something is there; open it as it is
      } else if (code === "EISDIR") {
        return { kind: "open", handle: await open(at, DIRECTORY), created: false };
      } else if (code === "ELOOP") {
        const target = await linkIn(dir, name);
        if (target !== null) return { kind: "link", target };
      } else if (code === "ENXIO") {
        throw notRegular(w, await lstat(at).catch(() => null));
      } else if (code === "ENOENT") {
        if (w.mode !== "create") return { kind: "missing" };
        exclusive = true; // removed since O_EXCL saw it: create it after all
      } else {
        throw error;
      }
    }
  }
  throw new ToolInputError(`${shownPath(w.root, w.path)} keeps changing; try again.`);
}

async function entryOf(
  w: Walk,
  handle: FileHandle,
  rel: string,
  created: boolean,
): Promise<WorktreeEntry> {
  try {
    const stat = await handle.stat();
    if (!stat.isFile() && !stat.isDirectory()) throw notRegular(w, stat);
    return { handle, stat, rel, created };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function notRegular(w: Walk, stat: Stats | null): ToolInputError {
  const kind =
    stat === null
      ? "it cannot be opened"
      : stat.isFIFO()
        ? "a FIFO"
        : stat.isSocket()
          ? "a socket"
          : stat.isCharacterDevice()
            ? "a character device"
            : stat.isBlockDevice()
              ? "a block device"
              : "not a file or a folder";
  return new ToolInputError(
    `${shownPath(w.root, w.path)} is not a regular file (${kind}); only regular files can be viewed, edited or searched.`,
  );
}

/** The file's bytes, or null when it holds more than `maxBytes`: never more is read. */
export async function readBounded(entry: WorktreeEntry, maxBytes: number): Promise<Buffer | null> {
  if (entry.stat.size > maxBytes) return null;
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buffer = Buffer.alloc(Math.min(CHUNK, maxBytes + 1 - total));
    const { bytesRead } = await entry.handle.read(buffer, 0, buffer.length, total);
    if (bytesRead === 0) return Buffer.concat(chunks, total);
    chunks.push(buffer.subarray(0, bytesRead));
    total += bytesRead;
    if (total > maxBytes) return null; // it grew since fstat
  }
}

/** Replaces the file's content through its fd. */
export async function rewrite(entry: WorktreeEntry, text: string): Promise<void> {
  const bytes = Buffer.from(text, "utf8");
  await entry.handle.truncate(0);
  for (let at = 0; at < bytes.length;) {
    const { bytesWritten } = await entry.handle.write(bytes, at, bytes.length - at, at);
    at += bytesWritten;
  }
}

/** A folder's entries, by its fd (symlinks are entries like any other, never followed). */
export function listFolder(folder: FileHandle) {
  return readdir(fdPath(folder.fd), { withFileTypes: true });
}

/** A subfolder opened from its parent's fd, or null if it is not (or no longer) a folder. */
export async function openSubfolder(parent: FileHandle, name: string): Promise<FileHandle | null> {
  try {
    return await open(fdPath(parent.fd, name), DIRECTORY);
  } catch (error) {
    const code = codeOf(error);
    if (code === "ELOOP" || code === "ENOTDIR" || code === "ENOENT") return null;
    throw error;
  }
}
