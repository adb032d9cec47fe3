// The working diff kept up to date without git, for the looks that allow it:
// a few files changed, each a plain regular file in a watched folder. Here a
// process costs more than a step's own work (about 13 ms for any git command
// on a 10,000-file index), and staging then diffing took two per changed step.
//
// The last diff git wrote for a base is kept taken apart by file
// (diff-sections.ts). A quick look reads each changed file (under the freeze,
// never through a link) and the diff is the kept one with those files'
// sections written afresh from the base's blobs, read from a `cat-file`
// process kept running. New files are kept in or left out as git's ignore
// rules say, asked of a `check-ignore` process kept running. Anything else
// (a folder made or removed, a link, a binary or large file, attributes that
// change how git reads a file, settings such as core.autocrlf, a path git
// would quote) is git's, as before; the working tree stages what quick looks
// skipped before it asks git anything.
import { constants } from "node:fs";
import { lstat, open, realpath } from "node:fs/promises";
import { join, posix } from "node:path";
import {
  ASK_GIT,
  fileSection,
  joinSections,
  plainPath,
  splitSections,
  type FileSide,
} from "./diff-sections.ts";
import type { Pending } from "./folder-watch.ts";
import { runGit } from "./git-run.ts";
import { IgnoreCheck } from "./ignore-check.ts";
import { ObjectReader } from "./object-reader.ts";

/** More changed entries than this in one look: git stages them. */
const MAX_QUICK_ENTRIES = 64;
/** A file larger than this is git's to stage and diff. */
const MAX_QUICK_FILE = 1024 * 1024;
/** The sections are kept while the whole diff is no larger than this. */
const MAX_KEPT = 8 * 1024 * 1024;
const ATTRIBUTES = ".gitattributes";
/**
 * Settings that change how git stages a file, with the value that leaves it as it is (null:
 * any value changes it). Any other value, and git does it all.
 */
const STAGING_SETTINGS: ReadonlyArray<[RegExp, string | null]> = [
  [/^core\.autocrlf$/i, "false"],
  [/^core\.filemode$/i, "true"],
  [/^core\.ignorecase$/i, "false"],
  [/^core\.precomposeunicode$/i, "false"],
  [/^core\.sparsecheckout$/i, "false"],
  [/^core\.bigfilethreshold$/i, null],
  [/^extensions\.objectformat$/i, "sha1"],
  [/^filter\./i, null],
];

/** Whether `key=value` leaves staging as quick looks read files. */
function plainSetting(entry: string): boolean {
  const [key = "", value = ""] = entry.split("\n");
  const rule = STAGING_SETTINGS.find(([pattern]) => pattern.test(key));
  return rule === undefined || (rule[1] !== null && value.toLowerCase() === rule[1]);
}

/**
 * Whether a look's changes (`work`) may be read without git: a few entries, none of them a
 * watched folder, and nothing that asks for more than staging files (see folder-watch.ts).
 */
export function quickLook(
  work: Pending,
  maxEvents: number,
  covers: (entry: string) => boolean,
): boolean {
  const flagged = work.full || work.guard || work.index || work.reseed;
  if (flagged || work.events > maxEvents || work.entries.size === 0) return false;
  return ![...work.entries].some(covers);
}

interface BaseEntry {
  mode: string;
  id: string;
}

export class QuickDiff {
  /** The kept diff, by file, for `base`, as git wrote it with the quick looks' files since. */
  private sections: { base: string; map: Map<string, Buffer> } | null = null;
  /** Files read by quick looks, not yet written into the sections (null: the file is gone). */
  private readonly pending = new Map<string, FileSide | null>();
  /** The base's folders as read, by folder ("" the top); null: not a folder in the base. */
  private readonly trees = new Map<string, Map<string, BaseEntry> | null>();
  private readonly reader: ObjectReader;
  private readonly ignore: IgnoreCheck;
  private root: string | null = null;
  /** The base the folders in `trees` are of. */
  private base: string | null = null;
  /** Whether the repository's settings let files be read here as git would stage them. */
  private allowed = false;
  /** Files quick looks took that the scratch index has not staged. */
  readonly unstaged = new Set<string>();

  constructor(private readonly cwd: string) {
    this.reader = new ObjectReader(cwd, MAX_QUICK_FILE);
    this.ignore = new IgnoreCheck(cwd);
  }

  /**
   * The repository's settings and ignore rules, read afresh (the working tree asks whenever it
   * checks the config): quick looks only where git would stage a file as it is.
   */
  async recheck(signal?: AbortSignal): Promise<void> {
    this.ignore.close();
    this.root ??= await realpath(this.cwd);
    const { stdout } = await runGit(["config", "-z", "--list"], { cwd: this.cwd, signal });
    const common = (
      await runGit(["rev-parse", "--path-format=absolute", "--git-common-dir"], {
        cwd: this.cwd,
        signal,
      })
    ).stdout.trim();
    const infoAttributes = await present(join(common, "info", "attributes"));
    this.allowed = !infoAttributes && stdout.split("\0").every(plainSetting);
  }

  /**
   * A look's changed entries, read under the freeze: true when every one is taken here (the
   * diff is then up to date without git), false when git must stage them (nothing is kept).
   */
  async take(entries: Iterable<string>): Promise<boolean> {
    const sections = this.sections;
    if (!this.allowed || sections === null) return false;
    const read = new Map<string, FileSide | null>();
    let count = 0;
    for (const path of entries) {
      if ((count += 1) > MAX_QUICK_ENTRIES || !plainPath(path)) return false;
      const side = await this.readFile(path);
      if (side === ASK_GIT || !(await this.plainIn(sections.base, path))) return false;
      if (side === null && (await this.holdsFiles(sections.base, path))) return false;
      if (side !== null && !(await this.tracked(sections.base, path))) {
        // A new file: in the diff only if git's ignore rules keep it in.
        if (await this.ignore.ignored(path)) continue;
      }
      read.set(path, side);
    }
    for (const [path, side] of read) {
      this.pending.set(path, side);
      this.unstaged.add(path);
    }
    return true;
  }

  /** The diff from `base` with what quick looks took; null when git must write it. */
  async bytes(base: string): Promise<Buffer | null> {
    const sections = this.sections;
    if (sections?.base !== base) return null;
    for (const [path, side] of this.pending) {
      const before = await this.baseFile(base, path);
      if (before === ASK_GIT) return this.forget();
      const section = fileSection(path, before, side);
      if (section === ASK_GIT) return this.forget();
      if (section === null) sections.map.delete(path);
      else sections.map.set(path, section);
      this.pending.delete(path);
    }
    const bytes = joinSections(sections.map);
    if (bytes.length > MAX_KEPT) return this.forget();
    return bytes;
  }

  /** git wrote the whole diff from `base` after staging everything: the start from now on. */
  reset(base: string, diff: Buffer): void {
    if (this.base !== base) this.trees.clear();
    this.base = base;
    this.forget();
    this.unstaged.clear();
    const map = diff.length <= MAX_KEPT ? splitSections(diff) : null;
    if (map !== null) this.sections = { base, map };
  }

  /** git staged on its own: the kept diff no longer says what the index holds. */
  forget(): null {
    this.sections = null;
    this.pending.clear();
    return null;
  }

  close(): void {
    this.reader.close();
    this.ignore.close();
  }

  /**
   * The file at `path`, opened without following a link at any step (its real path must be
   * the one asked for): null when it is gone, ASK_GIT when it is not a plain regular file.
   */
  private async readFile(path: string): Promise<FileSide | null | typeof ASK_GIT> {
    const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = constants;
    let handle;
    try {
      handle = await open(join(this.cwd, path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "ENOENT" ? null : ASK_GIT;
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile() || stat.size > MAX_QUICK_FILE) return ASK_GIT;
      const real = await realpath(`/proc/self/fd/${handle.fd}`);
      if (this.root === null || real !== join(this.root, path)) return ASK_GIT;
      const bytes = await handle.readFile();
      if (bytes.length !== stat.size) return ASK_GIT;
      // git keeps the owner's execute bit, and nothing else of the mode.
      return { mode: stat.mode & 0o100 ? "100755" : "100644", bytes };
    } finally {
      await handle.close();
    }
  }

  /** Whether nothing on the way to `path` has attributes that could change how git reads it. */
  private async plainIn(base: string, path: string): Promise<boolean> {
    const parts = path.split("/").slice(0, -1);
    for (let depth = 0; depth <= parts.length; depth++) {
      const dir = parts.slice(0, depth).join("/");
      const tree = await this.tree(base, dir);
      if (tree?.has(ATTRIBUTES) === true) return false;
      if (await present(join(this.cwd, dir, ATTRIBUTES))) return false;
    }
    return true;
  }

  /** Whether `path` is a folder of the base, or holds files the diff names. */
  private async holdsFiles(base: string, path: string): Promise<boolean> {
    const entry = await this.entry(base, path);
    if (entry !== null && entry.mode !== "100644" && entry.mode !== "100755") return true;
    const under = `${path}/`;
    const named = (p: string) => p.startsWith(under);
    return [...(this.sections?.map.keys() ?? []), ...this.pending.keys()].some(named);
  }

  /** Whether the scratch index tracks `path` as the kept diff and the quick looks left it. */
  private async tracked(base: string, path: string): Promise<boolean> {
    if (this.pending.has(path)) return this.pending.get(path) !== null;
    const section = this.sections?.map.get(path);
    if (section !== undefined) return !deletes(section);
    return (await this.entry(base, path)) !== null;
  }

  /** The base's file at `path` with its bytes: null when it has none, ASK_GIT when not a file. */
  private async baseFile(
    base: string,
    path: string,
  ): Promise<(FileSide & { id: string }) | null | typeof ASK_GIT> {
    const entry = await this.entry(base, path);
    if (entry === null) return null;
    if (entry.mode !== "100644" && entry.mode !== "100755") return ASK_GIT;
    const blob = await this.reader.read(entry.id);
    if (blob?.type !== "blob" || blob.bytes === null) return ASK_GIT;
    return { mode: entry.mode, id: entry.id, bytes: blob.bytes };
  }

  private async entry(base: string, path: string): Promise<BaseEntry | null> {
    const tree = await this.tree(base, posix.dirname(path) === "." ? "" : posix.dirname(path));
    return tree?.get(posix.basename(path)) ?? null;
  }

  /** The base's folder `dir`, read once: its entries by name. */
  private async tree(base: string, dir: string): Promise<Map<string, BaseEntry> | null> {
    if (this.trees.has(dir)) return this.trees.get(dir) ?? null;
    const object = await this.reader.read(`${base}:${dir}`);
    const tree = object?.type === "tree" && object.bytes !== null ? entries(object.bytes) : null;
    this.trees.set(dir, tree);
    return tree;
  }
}

/** A tree object's entries: `<mode> <name>\0<20-byte id>` each. */
function entries(bytes: Buffer): Map<string, BaseEntry> {
  const out = new Map<string, BaseEntry>();
  let at = 0;
  while (at < bytes.length) {
    const space = bytes.indexOf(0x20, at);
    const nul = bytes.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > bytes.length) break;
    const mode = bytes.subarray(at, space).toString("latin1");
    const name = bytes.subarray(space + 1, nul).toString("utf8");
    out.set(name, {
      mode: mode.padStart(6, "0"),
      id: bytes.subarray(nul + 1, nul + 21).toString("hex"),
    });
    at = nul + 21;
  }
  return out;
}

/** Whether anything is at `path`: looked at, never opened (a FIFO there would block an open). */
function present(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** Whether a section removes its file. */
function deletes(section: Buffer): boolean {
  const head = section.subarray(0, 512).toString("latin1").split("\n");
  return head[1]?.startsWith("deleted file mode ") === true;
}
