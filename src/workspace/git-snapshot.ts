// The working tree as a patch and back: what a step checkpoint stores and a
// resume applies. The diff is taken through a scratch index, so the run's own
// index, branch and commits are never touched; untracked files are included
// (ignored ones are not, as a clone would not have them either).
import { copyFile, mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { assertSafeRepoConfig } from "./git-config-guard.ts";
import { runGit } from "./git-run.ts";

/** `git diff --binary` from `base` to the working tree, untracked files included, as bytes. */
export async function workingDiff(cwd: string, base: string): Promise<Buffer> {
  await assertSafeRepoConfig(cwd);
  const scratch = await mkdtemp(join(tmpdir(), "stamina-snapshot-"));
  try {
    const index = join(scratch, "index");
    // Starting from a copy of the real index keeps its stat data: only changed files are hashed.
    // The copy keeps the index's mtime too: git trusts an entry's stat data only when the file
    // is older than the index (a same-size edit in the same second as the checkout is "racy"
    // and gets its content compared); a copy dated now would hide such an edit.
    const gitIndex = await gitPath(cwd, "index");
    try {
      const { atime, mtime } = await stat(gitIndex);
      await copyFile(gitIndex, index);
      await utimes(index, atime, mtime);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const env = { GIT_INDEX_FILE: index };
    await runGit(["add", "--all", "--", "."], { cwd, env });
    const out = join(scratch, "diff");
    await runGit(
      [
        "diff",
        "--cached",
        "--binary",
        "--no-renames",
        "--no-ext-diff",
        "--no-textconv",
        `--output=${out}`,
        base,
        "--",
      ],
      { cwd, env },
    );
    return await readFile(out);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Applies a patch from workingDiff to the working tree (not the index): tracked edits stay unstaged, new files untracked. */
export async function applyDiff(cwd: string, diff: Buffer): Promise<void> {
  if (diff.length === 0) return;
  await assertSafeRepoConfig(cwd);
  const scratch = await mkdtemp(join(tmpdir(), "stamina-snapshot-"));
  try {
    const patch = join(scratch, "patch");
    await writeFile(patch, diff);
    await runGit(["apply", "--binary", "--whitespace=nowarn", patch], { cwd });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function gitPath(cwd: string, name: string): Promise<string> {
  const { stdout } = await runGit(["rev-parse", "--git-path", name], { cwd });
  const path = stdout.trim();
  return isAbsolute(path) ? path : join(cwd, path);
}
