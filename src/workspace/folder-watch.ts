// The watches behind the working tree (working-tree.ts): one inotify watch per
// folder, never per file, each change noted against its folder until the next
// look takes them. A change to the ignore rules, the attributes, a nested
// repository or the git folder itself is noted as such: those ask for more
// than staging one folder's entries.
import { watch, type FSWatcher } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { isAbsolute, join, posix } from "node:path";
import { runGit } from "./git-run.ts";

const GIT_DIR = ".git";

/** What changed since the last look. */
export interface Pending {
  /** Folders (relative, "" the top) whose direct entries changed. */
  dirs: Set<string>;
  /** Entries that changed: a folder among them is staged or dropped whole. */
  entries: Set<string>;
  /** Stage everything: the watches cannot say what changed. */
  full: boolean;
  /** Look for nested repositories and check the config again. */
  guard: boolean;
  /** The real index changed: its gitlinks, and the ignored files it tracks, may have. */
  index: boolean;
  /** Start again from the real index: the ignore rules changed (a file staged before may be ignored now). */
  reseed: boolean;
  events: number;
}

const nothingPending = (): Pending => ({
  dirs: new Set(),
  entries: new Set(),
  full: false,
  guard: false,
  index: false,
  reseed: false,
  events: 0,
});

export class FolderWatches {
  private readonly watchers = new Map<string, FSWatcher>();
  pending = nothingPending();

  constructor(
    private readonly cwd: string,
    private readonly budget: number,
  ) {}

  /** Whether nothing was noted since the last take. */
  get quiet(): boolean {
    const p = this.pending;
    const flagged = p.full || p.guard || p.index || p.reseed;
    return !flagged && p.dirs.size === 0 && p.entries.size === 0;
  }

  /** What was noted, handed over; noting starts afresh. */
  take(): Pending {
    const taken = this.pending;
    this.pending = nothingPending();
    return taken;
  }

  has(dir: string): boolean {
    return this.watchers.has(dir);
  }

  /** Whether `entry` or a folder under it is watched. */
  covers(entry: string): boolean {
    for (const dir of this.watchers.keys()) {
      if (dir === entry || dir.startsWith(`${entry}/`)) return true;
    }
    return false;
  }

  /**
   * Watches the worktree's git folders, given as absolute paths: its own (the index, and
   * `config.worktree`) and the common one (`config`, and `info` with the exclude file), which
   * are the same folder unless the worktree is a linked one. What else changes there (HEAD,
   * refs, objects) leaves the working tree as it is. False when a watch could not be made.
   */
  watchGitDirs(own: string, common: string): boolean {
    const onOwn = (name: string | null) => {
      if (name === "index") this.pending.index = true;
      else if (name === "config" || name === "config.worktree") this.pending.guard = true;
      else if (name === "info" || name === null) this.pending.reseed = true;
    };
    const onCommon = (name: string | null) => {
      if (name === "config") this.pending.guard = true;
      else if (name === "info" || name === null) this.pending.reseed = true;
    };
    if (!this.add(own, onOwn)) return false;
    if (common !== own && !this.add(common, onCommon)) return false;
    return this.add(posix.join(common, "info"), () => (this.pending.reseed = true), true);
  }

  /**
   * Watches `dir` and the folders under it, but not those in `skip` (ignored, nested) nor the
   * top's git folder; false when the budget is spent or a watch failed.
   */
  async watchTree(dir: string, skip: (path: string) => boolean): Promise<boolean> {
    const queue = [dir];
    while (queue.length > 0) {
      const current = queue.shift() as string;
      if (!this.add(current, (name) => this.changed(current, name))) return false;
      const entries = await readdir(join(this.cwd, current), { withFileTypes: true }).catch(
        () => [],
      );
      for (const entry of entries) {
        // Symbolic links are never followed: a link to a folder is an entry, not a folder.
        if (!entry.isDirectory()) continue;
        if (current === "" && entry.name === GIT_DIR) continue;
        const path = current === "" ? entry.name : `${current}/${entry.name}`;
        if (!skip(path)) queue.push(path);
      }
    }
    return true;
  }

  /** Stops watching `dir` and every folder under it. */
  unwatchUnder(dir: string): void {
    for (const [path, watcher] of this.watchers) {
      if (path === dir || path.startsWith(`${dir}/`)) {
        watcher.close();
        this.watchers.delete(path);
      }
    }
  }

  close(): void {
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** One watch on one folder; false when it could not be made or the budget is spent. */
  private add(dir: string, onEvent: (name: string | null) => void, optional = false): boolean {
    if (this.watchers.has(dir)) return true;
    if (this.watchers.size >= this.budget) return false;
    try {
      const watcher = watch(
        isAbsolute(dir) ? dir : join(this.cwd, dir),
        { persistent: false },
        (_event, name) => {
          this.pending.events += 1;
          onEvent(typeof name === "string" ? name : null);
        },
      );
      // A watch that breaks (its folder removed, the kernel out of watches) cannot be trusted.
      watcher.on("error", () => {
        this.pending.full = true;
        watcher.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, watcher);
      return true;
    } catch {
      return optional;
    }
  }

  private changed(dir: string, name: string | null): void {
    const p = this.pending;
    // The ignore rules and attributes decide how every file is staged.
    if (name === null || name === ".gitattributes") p.full = true;
    else if (name === ".gitignore") p.reseed = true;
    else if (name === GIT_DIR) {
      // The git folder, or the file that names a linked worktree's, replaced: look afresh.
      p.guard = true;
      p.full = true;
    } else {
      p.dirs.add(dir);
      p.entries.add(dir === "" ? name : `${dir}/${name}`);
    }
  }
}

/**
 * The worktree's own git folder and the common one, where its index, config and exclude file
 * live: `.git` itself, or for a linked worktree (`.git` a file, as in a worktree of the
 * mirror) the folders git names. null: none git would use (then nothing is watched).
 */
export async function gitFolders(
  cwd: string,
  signal?: AbortSignal,
): Promise<{ own: string; common: string } | null> {
  const top = await lstat(join(cwd, GIT_DIR)).catch(() => null);
  if (top?.isDirectory() === true) {
    const own = join(cwd, GIT_DIR);
    return { own, common: own };
  }
  if (top?.isFile() !== true) return null;
  const { stdout } = await runGit(
    ["rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir"],
    { cwd, signal },
  );
  const [own, common] = stdout.split("\n");
  return own && common ? { own, common } : null;
}

/** Lets the event loop read what the kernel has queued: two turns, so one poll comes after now. */
export async function drainEvents(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** `*`, `?`, `[` and `\` taken literally in a glob pathspec. */
function escapeGlob(path: string): string {
  return path.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** The direct entries of a folder ("" the top), not those of the folders in it. */
export function children(dir: string): string {
  return dir === "" ? ":(top,glob)*" : `:(top,glob)${escapeGlob(dir)}/*`;
}

/** Everything under a folder. */
export function everything(dir: string): string {
  return `:(top,glob)${escapeGlob(dir)}/**`;
}

/** The ignored folders under `dirs` (the top when none are named), as git lists them. */
export async function ignoredFolders(
  cwd: string,
  dirs: string[],
  signal?: AbortSignal,
): Promise<Set<string>> {
  const literal = dirs.map((d) => `:(top,literal)${d}`);
  const { stdout } = await runGit(
    [
      "ls-files",
      "-z",
      "--others",
      "--ignored",
      "--exclude-standard",
      "--directory",
      "--",
      ...literal,
    ],
    { cwd, signal },
  );
  return new Set(
    stdout
      .split("\0")
      .filter((p) => p.endsWith("/"))
      .map((p) => p.slice(0, -1)),
  );
}

/** The ignored files the real index tracks (staged by force), as git lists them. */
export async function trackedIgnored(cwd: string, signal?: AbortSignal): Promise<string> {
  const { stdout } = await runGit(
    ["ls-files", "-z", "--cached", "--ignored", "--exclude-standard"],
    { cwd, signal },
  );
  return stdout;
}
