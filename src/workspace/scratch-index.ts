// The working tree's scratch index (working-tree.ts): where it starts from, and
// how the files quick looks read (quick-diff.ts) are staged into it later.
import { copyFile, lstat, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { gitFolders, type FolderWatches, type Pending } from "./folder-watch.ts";
import { GitError, runGit } from "./git-run.ts";

export interface DiffOptions {
  /** `--binary`: a diff that `git apply` can restore binary files from. */
  binary?: boolean;
  /** `--stat` instead of the patch: what changed, in one line per file. */
  stat?: boolean;
  /** Renames as a deletion and an addition (what the checkpoint stores). */
  noRenames?: boolean;
  signal?: AbortSignal;
}

const DIFF = ["diff", "--cached", "--no-color", "--no-ext-diff", "--no-textconv"];

/**
 * Starting from a copy of the real index keeps git's stat cache, so only changed files are
 * hashed the first time. The copy keeps the index's own time, a second earlier: git trusts a
 * cached stat only for files older than the index, and compares times in whole seconds, so a
 * copy dated now would let an edit of the same size, in the same second as the checkout,
 * pass for unchanged ("racy git"). From then on git writes this index itself, and keeps it
 * honest the same way it keeps its own.
 */
export async function seedScratchIndex(cwd: string, index: string): Promise<void> {
  // The same resolution the watches use; git is asked only where `.git` is neither a folder
  // nor a linked worktree's file (and then says what is wrong).
  const gitDir =
    (await gitFolders(cwd))?.own ??
    (await runGit(["rev-parse", "--absolute-git-dir"], { cwd })).stdout.trim();
  const from = join(gitDir, "index");
  await rm(index, { force: true });
  let written: Date;
  try {
    written = (await stat(from)).mtime;
    await copyFile(from, index);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const earlier = new Date(written.getTime() - 1_000);
  await utimes(index, earlier, earlier);
}

/**
 * `git add --all` of exactly `paths` (taken literally), the nested repositories left out by
 * `exclude`. A file made and removed between two looks was never staged, and git then finds
 * nothing to add: the whole tree is staged instead (`all`).
 */
export async function stagePaths(
  paths: string[],
  exclude: string[],
  run: { git: (args: string[]) => Promise<unknown>; all: () => Promise<unknown> },
): Promise<void> {
  const specs = paths.map((p) => `:(top,literal)${p}`);
  try {
    await run.git(["add", "--all", "--", ...specs, ...exclude]);
  } catch (error) {
    if (!(error instanceof GitError) || error.exitCode !== 128) throw error;
    await run.all();
  }
}

/** `git diff --cached` of the scratch index against `base`, as `options` ask. */
export function diffArgs(base: string, options: DiffOptions): string[] {
  const args = [...DIFF];
  if (options.binary) args.push("--binary");
  if (options.noRenames) args.push("--no-renames");
  if (options.stat) args.push("--stat=200");
  args.push(base, "--");
  return args;
}

/** Changed entries that are folders no watch covers yet: made, or moved in. */
export async function madeFolders(
  cwd: string,
  work: Pending,
  watches: FolderWatches,
): Promise<string[]> {
  const made: string[] = [];
  for (const entry of work.entries) {
    if (watches.has(entry)) continue;
    const info = await lstat(join(cwd, entry)).catch(() => null);
    if (info?.isDirectory() === true) made.push(entry);
  }
  return made;
}
