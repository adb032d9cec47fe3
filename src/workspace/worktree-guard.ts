// What the harness checks before git walks a worktree that commands wrote to.
// The top-level config must hold only what git writes (git-config-guard.ts).
// A repository nested in the worktree has a config of its own, in the
// worktree, where the agent and setup write: `git add` over it runs its clean
// filters in the harness, whatever the harness's -c flags say. So nested
// repositories are found as git itself sees them (an untracked folder with a
// `.git`, or a gitlink whose folder has one) and left out of every command
// that walks the worktree, by pathspec: git then never enters them. The
// caller is told which, to say so (audit log, the model).
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { assertSafeRepoConfig } from "./git-config-guard.ts";
import { runGit } from "./git-run.ts";

/** A gitlink's mode in the index: a submodule, or a nested repository once added. */
const GITLINK = "160000";

export interface GuardedWorktree {
  /** Nested repositories, relative to the worktree: git must not enter them. */
  nested: string[];
  /** Pathspec arguments (after `--`) that walk the worktree but leave the nested ones out. */
  pathspec: string[];
}

/**
 * Throws GitError when the worktree's config is not safe; otherwise the nested repositories
 * to leave out. Reading the index and listing untracked files runs no filter or driver.
 */
export async function guardWorktree(cwd: string, signal?: AbortSignal): Promise<GuardedWorktree> {
  await assertSafeRepoConfig(cwd, signal);
  const nested = await nestedRepositories(cwd, signal);
  return { nested, pathspec: [".", ...nested.map(excluded)] };
}

/** `:(exclude)` with `literal`: a path with `*` or `[` in it is that path, not a pattern. */
function excluded(path: string): string {
  return `:(top,literal,exclude)${path}`;
}

async function nestedRepositories(cwd: string, signal?: AbortSignal): Promise<string[]> {
  const found = new Set<string>();
  // An untracked folder holding a repository is listed as `path/`, and not entered.
  const untracked = await runGit(["ls-files", "-z", "--others", "--exclude-standard"], {
    cwd,
    signal,
  });
  for (const entry of untracked.stdout.split("\0")) {
    if (entry.endsWith("/")) found.add(entry.slice(0, -1));
  }
  // A gitlink (a submodule, or a nested repository added before) with a `.git` in its folder.
  for (const path of await gitlinks(cwd, signal)) {
    if (await exists(join(cwd, path, ".git"))) found.add(path);
  }
  return [...found].sort();
}

/**
 * The submodules (gitlinks) in the worktree's index. Stamina never checks them out: the
 * agent sees their folders empty, and the run says so (never silently).
 */
export async function gitlinks(cwd: string, signal?: AbortSignal): Promise<string[]> {
  const staged = await runGit(["ls-files", "-z", "--stage"], { cwd, signal });
  return staged.stdout
    .split("\0")
    .filter((record) => record.startsWith(`${GITLINK} `))
    .map((record) => record.slice(record.indexOf("\t") + 1));
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
