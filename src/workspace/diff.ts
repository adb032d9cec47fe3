// The run's change as one diff: from a base commit to the working tree,
// untracked files included (ignored ones not). Staged through an index of the
// harness's own (working-tree.ts), so the worktree's own index, and what the
// agent staged, stay as they are. The self-review shows it to the model; the test check reads it;
// the step checkpoint stores it as bytes (workingDiffBytes) and a resume on
// another machine applies it back (applyDiff).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertSafeRepoConfig } from "./git-config-guard.ts";
import { runGit } from "./git-run.ts";
import { WorkingTree } from "./working-tree.ts";

export interface WorkingDiffOptions {
  /** `--binary`: a diff that `git apply` can restore binary files from. */
  binary?: boolean;
  /** `--stat` instead of the patch: what changed, in one line per file. */
  stat?: boolean;
  signal?: AbortSignal;
  /** Told the nested repositories left out of the diff (worktree-guard.ts), when there are any. */
  onLeftOut?: (paths: string[]) => void | Promise<void>;
}

/** A one-off look at the working tree (a run keeps one WorkingTree for its whole session). */
async function once<T>(
  cwd: string,
  opts: Pick<WorkingDiffOptions, "onLeftOut">,
  fn: (tree: WorkingTree) => Promise<T>,
): Promise<T> {
  const tree = await WorkingTree.open(cwd, {
    watch: false,
    ...(opts.onLeftOut ? { onLeftOut: opts.onLeftOut } : {}),
  });
  try {
    return await fn(tree);
  } finally {
    await tree.close();
  }
}

export async function workingDiff(
  cwd: string,
  base: string,
  opts: WorkingDiffOptions = {},
): Promise<string> {
  return once(cwd, opts, (tree) => tree.diff(base, opts));
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
  return once(cwd, opts, async (tree) => (await tree.diffBytes(base, opts)).bytes);
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
