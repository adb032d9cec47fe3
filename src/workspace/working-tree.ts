// The run's working tree as git sees it, kept up to date step after step at a
// cost in proportion to what changed, not to the repository.
//
// A scratch index of the harness's own (outside the worktree, where no
// command reaches) holds the whole working tree, untracked files included and
// ignored ones not; it lives as long as the session, so git's stat cache stays
// warm. Each directory of the worktree is watched (inotify, one watch per
// directory, never per file): a change, by the editor or by any process,
// marks its directory, and the next look stages only those directories. A
// step that changed no file runs no git at all. The diff is the scratch index
// against the base commit (`git diff --cached`): no tree object is written
// for it, and diffs of an unchanged working tree are answered from memory.
//
// What cannot be watched is looked at in full, as before: more directories
// than the watch budget, a watch that fails, a burst of events the kernel may
// have dropped, a change to the ignore rules or to a nested repository, and,
// as a belt, any look a minute after the last full one.
import { lstat, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import {
  children,
  drainEvents,
  everything,
  FolderWatches,
  gitFolders,
  ignoredFolders,
  trackedIgnored,
  type Pending,
} from "./folder-watch.ts";
import { GitError, runGit } from "./git-run.ts";
import { QuickDiff, quickLook } from "./quick-diff.ts";
import {
  diffArgs,
  madeFolders,
  seedScratchIndex,
  stagePaths,
  type DiffOptions,
} from "./scratch-index.ts";
import { guardWorktree, type GuardedWorktree } from "./worktree-guard.ts";

/** Runs `fn` while the processes that could write to the worktree are stopped. */
type Frozen = <T>(fn: () => Promise<T>) => Promise<T>;

export interface WorkingTreeOptions {
  /** Where git reads the worktree, the run's processes are frozen (runs/frozen.ts). */
  frozen?: Frozen;
  /** Told the nested repositories left out of the diff (worktree-guard.ts), when there are any. */
  onLeftOut?: (paths: string[]) => void | Promise<void>;
  /** Watch directories for changes (default); false: every look stages the whole tree. */
  watch?: boolean;
  /** At most this many directories are watched; past it every look is a full one. */
  maxWatched?: number;
}

/** A diff larger than the caller's cap: refused from its size alone, never read. */
export class DiffTooLarge extends Error {
  constructor(readonly bytes: number) {
    super(`the working diff is ${bytes} bytes`);
    this.name = "DiffTooLarge";
  }
}

const NO_PRELOAD = ["-c", "core.preloadIndex=false"];
/** A full look at least this often, whatever the watches say. */
const FULL_LOOK_EVERY_MS = 60_000;
/** More events than this between two looks: the kernel's queue may have overflowed. */
const MAX_EVENTS = 8_192;
/** More changed entries than this: one look at everything is cheaper than naming them. */
const MAX_ENTRIES = 1_000;
const DEFAULT_MAX_WATCHED = 8_192;
/** The last diff taken as bytes is kept when it is no larger than this. */
const KEEP_DIFF_BYTES = 8 * 1024 * 1024;

export class WorkingTree {
  private readonly watches: FolderWatches;
  private watching: boolean;
  private seeded = false;
  /** Counts the looks that staged something: the working tree as this object last saw it. */
  private version = 0;
  private guarded: GuardedWorktree | null = null;
  private lastFull = 0;
  /** The diffs of the version `diffsOf`, by base and options. */
  private readonly diffs = new Map<string, string>();
  private diffsOf = 0;
  private closed = false;
  private looking: Promise<void> = Promise.resolve();
  private outputs = 0;
  private lastBytes: { base: string; version: number; bytes: Buffer } | null = null;
  /** The ignored files the real index tracked at the last look, as git listed them. */
  private forced = "";
  /** The diff kept up to date without git, for the looks that allow it (quick-diff.ts). */
  private readonly quick: QuickDiff;
  /** How each look went: from the watches alone, read without git, staged in part or in full. */
  readonly looks = { quiet: 0, quick: 0, narrow: 0, full: 0 };

  private constructor(
    readonly cwd: string,
    private readonly scratch: string,
    private readonly options: WorkingTreeOptions,
  ) {
    this.watching = options.watch !== false;
    this.watches = new FolderWatches(cwd, options.maxWatched ?? DEFAULT_MAX_WATCHED);
    this.quick = new QuickDiff(cwd);
  }

  static async open(cwd: string, options: WorkingTreeOptions = {}): Promise<WorkingTree> {
    const scratch = await mkdtemp(join(tmpdir(), "stamina-tree-"));
    return new WorkingTree(cwd, scratch, options);
  }

  /** Whether changes are found by watching (false: every look stages the whole tree). */
  get watched(): boolean {
    return this.watching;
  }

  /**
   * Brings the scratch index up to date with what changed; returns its version, which moves
   * whenever a look staged something (the same version: the working tree did not change).
   */
  current(signal?: AbortSignal): Promise<number> {
    return this.serially(() => this.look(signal));
  }

  /** One at a time: looks and diffs share the scratch index. */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.looking.then(fn);
    this.looking = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  private async look(signal?: AbortSignal): Promise<number> {
    if (this.closed) throw new Error("the working tree was closed");
    await drainEvents();
    if (this.seeded && this.quiet()) {
      this.looks.quiet += 1;
      return this.version;
    }
    const frozen = this.options.frozen ?? ((fn) => fn());
    return frozen(async () => {
      // Events that arrived before the freeze took hold are part of this look.
      await drainEvents();
      const work = this.watches.take();
      if (this.quickly(work) && (await this.quick.take(work.entries))) {
        this.looks.quick += 1;
        return (this.version += 1);
      }
      try {
        await this.stage(work, signal);
      } catch (error) {
        // What was not staged is looked at again, in full, next time.
        this.watches.pending.full = true;
        throw error;
      }
      return (this.version += 1);
    });
  }

  /**
   * The diff from `base` to the working tree: the scratch index against the commit. git reads
   * the index and objects, not the worktree, so the run's processes need not be frozen for it.
   */
  diff(base: string, options: DiffOptions = {}): Promise<string> {
    return this.serially(async () => {
      const version = await this.look(options.signal);
      const key = [base, options.binary, options.stat, options.noRenames].join("\0");
      if (this.diffsOf !== version) this.diffs.clear();
      this.diffsOf = version;
      const known = this.diffs.get(key);
      if (known !== undefined) return known;
      await this.stageSkipped(options.signal);
      const { stdout } = await this.git(diffArgs(base, options), options.signal);
      this.diffs.set(key, stdout);
      return stdout;
    });
  }

  /**
   * `git diff --binary --no-renames` from `base` to the working tree as bytes, exactly as git
   * wrote them: what the step checkpoint stores. Written to a file first and refused from its
   * size when past `maxBytes`, never read whole into memory.
   */
  diffBytes(
    base: string,
    options: { signal?: AbortSignal; maxBytes?: number } = {},
  ): Promise<{ version: number; bytes: Buffer }> {
    return this.serially(async () => {
      const version = await this.look(options.signal);
      const last = this.lastBytes;
      if (last?.base === base && last.version === version) {
        if (options.maxBytes !== undefined && last.bytes.length > options.maxBytes) {
          throw new DiffTooLarge(last.bytes.length);
        }
        return { version, bytes: last.bytes };
      }
      const quick = await this.quick.bytes(base);
      if (quick !== null) return this.keep(base, version, quick, options.maxBytes);
      await this.stageSkipped(options.signal);
      const out = join(this.scratch, `diff-${(this.outputs += 1)}`);
      const args = diffArgs(base, { binary: true, noRenames: true });
      args.splice(1, 0, `--output=${out}`);
      try {
        await this.git(args, options.signal);
        const { size } = await stat(out);
        if (options.maxBytes !== undefined && size > options.maxBytes) {
          throw new DiffTooLarge(size);
        }
        const bytes = await readFile(out);
        this.quick.reset(base, bytes);
        return this.keep(base, version, bytes);
      } finally {
        await rm(out, { force: true });
      }
    });
  }

  /** The diff taken, kept for the next ask when small; refused when past `maxBytes`. */
  private keep(base: string, version: number, bytes: Buffer, maxBytes?: number) {
    if (maxBytes !== undefined && bytes.length > maxBytes) throw new DiffTooLarge(bytes.length);
    // The watchdog and the checkpoint ask for the same diff after a step.
    this.lastBytes = bytes.length <= KEEP_DIFF_BYTES ? { base, version, bytes } : null;
    return { version, bytes };
  }

  /** Whether a look's changes may be read without git: a few files, nothing else. */
  private quickly(work: Pending): boolean {
    const recent = performance.now() - this.lastFull < FULL_LOOK_EVERY_MS;
    const ready = this.seeded && this.watching && recent;
    return ready && quickLook(work, MAX_EVENTS, (entry) => this.watches.covers(entry));
  }

  /** Stages the files quick looks read, before git is asked about the index. */
  private async stageSkipped(signal?: AbortSignal): Promise<void> {
    const paths = [...this.quick.unstaged];
    if (paths.length === 0) return;
    const frozen = this.options.frozen ?? ((fn) => fn());
    const guarded = this.guarded;
    await frozen(() =>
      stagePaths(paths, guarded?.pathspec.slice(1) ?? [], {
        git: (args) => this.git([...NO_PRELOAD, ...args], signal),
        all: async () => (guarded === null ? undefined : this.addAll(guarded, signal)),
      }),
    );
    this.quick.unstaged.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.quick.close();
    this.watches.close();
    await rm(this.scratch, { recursive: true, force: true });
  }

  private quiet(): boolean {
    const recent = performance.now() - this.lastFull < FULL_LOOK_EVERY_MS;
    return this.watching && this.watches.quiet && recent;
  }

  private get index(): string {
    return join(this.scratch, "index");
  }

  private git(args: string[], signal?: AbortSignal) {
    return runGit(args, { cwd: this.cwd, env: { GIT_INDEX_FILE: this.index }, signal });
  }

  /** Brings the scratch index up to date with `work`. */
  private async stage(work: Pending, signal?: AbortSignal): Promise<void> {
    // What quick looks read is staged with the rest, and the kept diff is git's to write again.
    for (const path of this.quick.unstaged) {
      work.dirs.add(posix.dirname(path) === "." ? "" : posix.dirname(path));
    }
    this.quick.forget();
    const first = !this.seeded || work.reseed;
    // What the watches saw cannot be trusted to be all: watch everything afresh.
    const rewatch =
      first || work.full || work.events > MAX_EVENTS || work.entries.size > MAX_ENTRIES;
    let full = rewatch || !this.watching || performance.now() - this.lastFull >= FULL_LOOK_EVERY_MS;
    if (first) await this.seedIndex();
    if (!first && work.index && (await this.forcedChanged(signal))) {
      // The agent staged an ignored file by force, or unstaged one: start from its index.
      return this.stage({ ...work, reseed: true }, signal);
    }
    const made = full ? [] : await madeFolders(this.cwd, work, this.watches);
    const guard = work.guard || work.index || made.length > 0;
    if (full || guard || this.guarded === null) {
      // `git add` would run a clean filter the repository config, or a nested one, names.
      const before = this.guarded?.nested.join("\0");
      this.guarded = await guardWorktree(this.cwd, signal);
      // Quick looks need the watches: a tree that is not watched asks nothing more of git.
      if (this.watching) await this.quick.recheck(signal);
      if (this.guarded.nested.length > 0) await this.options.onLeftOut?.(this.guarded.nested);
      if (before !== undefined && before !== this.guarded.nested.join("\0")) full = true;
    }
    const guarded = this.guarded;
    this.looks[full ? "full" : "narrow"] += 1;
    if (full) {
      await this.addAll(guarded, signal);
      if (this.watching && (rewatch || made.length > 0)) await this.rewatch(guarded, signal);
    } else {
      const narrow = await this.narrowPathspec(work, made, guarded, signal);
      if (narrow === null) await this.addAll(guarded, signal);
      else if (narrow.length > 0) {
        try {
          // A few paths: threads to stat the index in parallel cost more than they save.
          await this.git(
            [...NO_PRELOAD, "add", "--all", "--", ...narrow, ...guarded.pathspec.slice(1)],
            signal,
          );
        } catch (error) {
          // A folder made and emptied, or made ignored, since the last look: nothing of it to
          // stage, and git says so; the whole tree tells the truth.
          if (!(error instanceof GitError) || error.exitCode !== 128) throw error;
          await this.addAll(guarded, signal);
        }
      }
    }
    this.quick.unstaged.clear();
    this.seeded = true;
  }

  /**
   * Whether the ignored files the real index tracks (staged by force) are other than they were:
   * the only way the real index changes what the working tree's diff holds.
   */
  private async forcedChanged(signal?: AbortSignal): Promise<boolean> {
    const before = this.forced;
    this.forced = await trackedIgnored(this.cwd, signal);
    return before !== this.forced;
  }

  private async addAll(guarded: GuardedWorktree, signal?: AbortSignal): Promise<void> {
    await this.git(["add", "--all", "--", ...guarded.pathspec], signal);
    this.lastFull = performance.now();
  }

  /**
   * The pathspecs that cover what changed: each changed folder's direct entries, and whole
   * folders made, removed or replaced (new folders are watched from now on). null: stage all.
   */
  private async narrowPathspec(
    work: Pending,
    made: string[],
    guarded: GuardedWorktree,
    signal?: AbortSignal,
  ): Promise<string[] | null> {
    const specs = [...work.dirs].map(children);
    for (const entry of work.entries) {
      const info = await lstat(join(this.cwd, entry)).catch(() => null);
      if (info?.isDirectory() === true && this.watches.has(entry)) continue;
      if (this.watches.covers(entry)) {
        // A watched folder removed or replaced: its entries leave the index with it.
        this.watches.unwatchUnder(entry);
        specs.push(everything(entry));
      }
    }
    const ignored =
      made.length > 0 ? await ignoredFolders(this.cwd, made, signal) : new Set<string>();
    for (const dir of made) {
      if (guarded.nested.includes(dir) || ignored.has(dir)) continue;
      specs.push(everything(dir));
      const skip = (path: string) => ignored.has(path) || guarded.nested.includes(path);
      if (!(await this.watches.watchTree(dir, skip))) {
        this.stopWatching();
        return null;
      }
    }
    return specs;
  }

  private async seedIndex(): Promise<void> {
    this.forced = await trackedIgnored(this.cwd);
    await seedScratchIndex(this.cwd, this.index);
  }

  /** Watches every folder git would look in, afresh: the ignored and nested ones left out. */
  private async rewatch(guarded: GuardedWorktree, signal?: AbortSignal): Promise<void> {
    this.watches.close();
    const gitDirs = await gitFolders(this.cwd, signal);
    if (gitDirs === null) return this.stopWatching();
    const ignored = await ignoredFolders(this.cwd, [], signal);
    const skip = (path: string) => ignored.has(path) || guarded.nested.includes(path);
    const ok =
      (await this.watches.watchTree("", skip)) &&
      this.watches.watchGitDirs(gitDirs.own, gitDirs.common);
    if (!ok) this.stopWatching();
  }

  private stopWatching(): void {
    this.watches.close();
    this.watching = false;
  }
}
