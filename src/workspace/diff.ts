// The run's change as one diff: from a base commit to the working tree,
// untracked files included (ignored ones not). Staged through a throwaway
// index, so the worktree's own index, and what the agent staged, stay as
// they are. The self-review shows it to the model; the test check reads it;
// the step checkpoint stores it as bytes (workingDiffBytes) and a resume on
// another machine applies it back (applyDiff).
import { copyFile, mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertSafeRepoConfig } from "./git-config-guard.ts";
import { runGit } from "./git-run.ts";
import { guardWorktree } from "./worktree-guard.ts";

export interface WorkingDiffOptions {
  /** `--binary`: a diff that `git apply` can restore binary files from. */
  binary?: boolean;
  /** `--stat` instead of the patch: what changed, in one line per file. */
  stat?: boolean;
  signal?: AbortSignal;
  /** Told the nested repositories left out of the diff (worktree-guard.ts), when there are any. */
  onLeftOut?: (paths: string[]) => void | Promise<void>;
}

const DIFF = ["diff", "--cached", "--no-color", "--no-ext-diff", "--no-textconv"];

export async function workingDiff(
  cwd: string,
  base: string,
  opts: WorkingDiffOptions = {},
): Promise<string> {
  return withWorkingTreeStaged(cwd, opts, async ({ env }) => {
    const args = [...DIFF];
    if (opts.binary) args.push("--binary");
    if (opts.stat) args.push("--stat=200");
    args.push(base, "--");
    const { stdout } = await runGit(args, { cwd, env, signal: opts.signal });
    return stdout;
  });
}

/**
 * `git diff --binary` from `base` to the working tree as bytes, exactly as git wrote them (a
 * file that is not UTF-8 stays intact): what the step checkpoint stores.
 */
export async function workingDiffBytes(
  cwd: string,
  base: string,
  opts: Pick<WorkingDiffOptions, "signal" | "onLeftOut"> = {},
): Promise<Buffer> {
  const { signal } = opts;
  return withWorkingTreeStaged(cwd, opts, async ({ env, scratch }) => {
    const out = join(scratch, "diff");
    // Renames as a deletion and an addition: nothing for `git apply` to guess.
    const args = [...DIFF, "--binary", "--no-renames", `--output=${out}`, base, "--"];
    await runGit(args, { cwd, env, signal });
    return readFile(out);
  });
}

/**
 * Applies a diff from workingDiffBytes to the working tree (not the index): tracked edits come
 * back unstaged and new files untracked, as they were.
 */
export async function applyDiff(cwd: string, diff: Buffer): Promise<void> {
  if (diff.length === 0) return;
  await withPatchFile(cwd, diff, undefined, (patch) => runGit([...APPLY, patch], { cwd }));
}

/**
 * A resumed run's checkpoint diff applied after setup ran on `base`'s files. Setup may have
 * changed a file the diff changes too (a lock file rewritten by an install): those files go
 * back to `base` first, since the diff was taken from a worktree where setup had run already.
 */
export async function applyCheckpointDiff(
  cwd: string,
  diff: Buffer,
  base: string,
  signal?: AbortSignal,
): Promise<{ files: number; resetBySetup: string[] }> {
  return withPatchFile(cwd, diff, signal, async (patch) => {
    const { stdout } = await runGit(["apply", "--numstat", "-z", patch], { cwd, signal });
    const files = stdout
      .split("\0")
      .filter((entry) => entry !== "")
      .map((entry) => entry.split("\t").slice(2).join("\t"));
    let resetBySetup: string[] = [];
    try {
      await runGit([...APPLY, "--check", patch], { cwd, signal });
    } catch {
      resetBySetup = await backToBase(cwd, base, files, signal);
    }
    await runGit([...APPLY, patch], { cwd, signal });
    return { files: files.length, resetBySetup };
  });
}

const APPLY = ["apply", "--binary", "--whitespace=nowarn"];

/** `fn` with the diff in a scratch file, once the repository's config is known to be safe. */
async function withPatchFile<T>(
  cwd: string,
  diff: Buffer,
  signal: AbortSignal | undefined,
  fn: (patch: string) => Promise<T>,
): Promise<T> {
  await assertSafeRepoConfig(cwd, signal);
  const scratch = await mkdtemp(join(tmpdir(), "stamina-diff-"));
  try {
    const patch = join(scratch, "patch");
    await writeFile(patch, diff);
    return await fn(patch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Of `paths`, those setup changed, put back as they are at `base` (removed where it has none). */
async function backToBase(
  cwd: string,
  base: string,
  paths: string[],
  signal?: AbortSignal,
): Promise<string[]> {
  if (paths.length === 0) return [];
  // The paths are the agent's: no pathspec magic (`:(glob)…`) in them.
  const git = async (args: string[]) => {
    const { stdout } = await runGit(args, { cwd, env: { GIT_LITERAL_PATHSPECS: "1" }, signal });
    return stdout.split("\0").filter((p) => p !== "");
  };
  const inBase = new Set(await git(["ls-tree", "-z", "--name-only", base, "--", ...paths]));
  const tracked = paths.filter((p) => inBase.has(p));
  const added = paths.filter((p) => !inBase.has(p));
  const changed =
    tracked.length === 0
      ? []
      : await git([
          "diff",
          "--no-ext-diff",
          "--no-textconv",
          "--name-only",
          "-z",
          base,
          "--",
          ...tracked,
        ]);
  const present =
    added.length === 0 ? [] : await git(["ls-files", "-z", "--others", "--", ...added]);
  if (changed.length > 0) await git(["checkout", "--no-overlay", base, "--", ...changed]);
  // git clean removes only what is there, never through a symbolic link.
  if (present.length > 0) await git(["clean", "-f", "-x", "-q", "--", ...present]);
  return [...changed, ...present].sort();
}

/** Runs `fn` with a scratch index (GIT_INDEX_FILE in `env`) that holds the whole working tree. */
async function withWorkingTreeStaged<T>(
  cwd: string,
  opts: Pick<WorkingDiffOptions, "signal" | "onLeftOut">,
  fn: (staged: { env: Record<string, string>; scratch: string }) => Promise<T>,
): Promise<T> {
  const { signal } = opts;
  // `git add` would run a clean filter the repository config, or a nested one, names.
  const guarded = await guardWorktree(cwd, signal);
  if (guarded.nested.length > 0) await opts.onLeftOut?.(guarded.nested);
  const { stdout: gitDir } = await runGit(["rev-parse", "--absolute-git-dir"], { cwd });
  const scratch = await mkdtemp(join(tmpdir(), "stamina-diff-"));
  try {
    const index = join(scratch, "index");
    await copyIndex(join(gitDir.trim(), "index"), index);
    const env = { GIT_INDEX_FILE: index };
    await runGit(["add", "--all", "--", ...guarded.pathspec], { cwd, env, signal });
    return await fn({ env, scratch });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Starting from a copy of the real index keeps git's stat cache, so only changed files are
 * hashed again. The copy keeps the index's own time, a second earlier: git trusts a cached
 * stat only for files older than the index, and compares times in whole seconds, so a copy
 * dated now would let an edit of the same size, in the same second as the checkout, pass
 * for unchanged ("racy git").
 */
async function copyIndex(from: string, to: string): Promise<void> {
  let written: Date;
  try {
    written = (await stat(from)).mtime;
    await copyFile(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const earlier = new Date(written.getTime() - 1_000);
  await utimes(to, earlier, earlier);
}
