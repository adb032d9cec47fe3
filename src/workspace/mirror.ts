// The per-repository cache: a bare partial clone (`--filter=blob:none`, a
// promisor of GitHub) under the data directory, refreshed with a fetch, from
// which each run gets a worktree of its own (`git worktree add`). Blobs come
// down only when a checkout needs them, and land in the mirror, so the next
// run of the same repository downloads only what changed. A settled run's
// worktree is kept as the mirror's one spare: the next run takes it and
// resets it (`checkout --force`, `clean -ffdx`), which rewrites only the files
// that differ instead of all of them. Fetches and worktree changes happen
// under a lock: runs of one repository in several processes take turns.
// GitHub's branches live under refs/remotes/origin/; refs/heads/ holds only
// the runs' own branches.
import { mkdir, rename, rm, utimes, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { assertSafeRepoConfig } from "./git-config-guard.ts";
import { NETWORK_TIMEOUT_MS } from "./git.ts";
import { GitError, runGit } from "./git-run.ts";
import { withRepoLock } from "./repo-lock.ts";

interface MirrorLocation {
  /** The bare repository. */
  dir: string;
  lock: string;
}

const NAME = /^(?!\.\.?$)[A-Za-z0-9._-]+$/;
const USED_MARK = "stamina-last-used";
/** The parked worktree of a settled run, inside the mirror (so the cache's cap counts it). */
const SPARE = "stamina-spare";

function mirrorLocation(dataDir: string, owner: string, repo: string): MirrorLocation {
  if (!NAME.test(owner) || !NAME.test(repo)) {
    throw new Error(`not a repository name GitHub gives: ${owner}/${repo}`);
  }
  const base = join(resolve(dataDir), "mirrors", owner, repo);
  return { dir: `${base}.git`, lock: `${base}.lock` };
}

export interface WorktreeRequest {
  dataDir: string;
  owner: string;
  repo: string;
  /** The remote, without credentials. */
  url: string;
  token: () => Promise<string>;
  /** Checked out detached in the new worktree: GitHub's `refs/heads/<branch>` as just fetched. */
  branch: string;
  worktree: string;
  /** Worktrees under this folder are an earlier attempt's of the same run: removed first. */
  replaces?: string;
  signal?: AbortSignal;
}

export interface MirrorCheckout {
  mirror: string;
  /** True when the mirror had to be made (a first run of this repository on this machine). */
  created: boolean;
}

/** Refreshes (or makes) the repository's mirror and adds a worktree for a run. */
export async function checkoutFromMirror(req: WorktreeRequest): Promise<MirrorCheckout> {
  const where = mirrorLocation(req.dataDir, req.owner, req.repo);
  const lockOptions = { timeoutMs: NETWORK_TIMEOUT_MS, signal: req.signal };
  return withRepoLock(where.lock, lockOptions, async () => {
    const created = !existsSync(where.dir);
    if (created) await createMirror(where.dir, req);
    else await fetchMirror(where.dir, req);
    await markUsed(where.dir);
    // What a parked spare is reset to: the default branch as last fetched.
    await runGit(
      ["symbolic-ref", "refs/remotes/origin/HEAD", `refs/remotes/origin/${req.branch}`],
      {
        cwd: where.dir,
      },
    );
    if (req.replaces !== undefined) await removeWorktreesUnder(where.dir, req.replaces);
    await mkdir(dirname(req.worktree), { recursive: true });
    const target = resolve(req.worktree);
    const ref = `refs/remotes/origin/${req.branch}`;
    // Checkouts fetch the blobs they lack in one batch, into the mirror; the token reaches that
    // fetch as the command's own -c configuration.
    const git = (args: string[], cwd: string) =>
      runGit(args, { cwd, token: req.token, signal: req.signal, timeoutMs: NETWORK_TIMEOUT_MS });
    if (await takeSpare(where.dir, target)) {
      // Pristine again: git compares every tracked file's stat data, ctime included, which
      // no command can set back, so a file the last run changed is always rewritten.
      await assertSafeRepoConfig(target, req.signal);
      await git(["checkout", "--quiet", "--force", "--detach", ref], target);
      await git(["clean", "-ffdxq"], target);
    } else {
      await git(["worktree", "add", "--quiet", "--detach", "--", target, ref], where.dir);
    }
    return { mirror: where.dir, created };
  });
}

/**
 * GitHub's branches named `prefix` or starting with `prefix-`, as the mirror fetched them for
 * this worktree a moment ago (the free-name check; the first push's lease refuses a branch made
 * since). Read from `refs/remotes/origin/`, which the fetch's `--prune` keeps exact.
 */
export async function fetchedBranchNames(worktree: string, prefix: string): Promise<Set<string>> {
  const { stdout } = await runGit(
    ["for-each-ref", "--format=%(refname:lstrip=3)", "--", "refs/remotes/origin/"],
    { cwd: worktree },
  );
  const names = new Set<string>();
  for (const name of stdout.split("\n")) {
    if (name === prefix || name.startsWith(`${prefix}-`)) names.add(name);
  }
  return names;
}

/** Removes a run's worktree (and its local branch) from the mirror, when the run is over. */
export async function releaseWorktree(
  dataDir: string,
  owner: string,
  repo: string,
  worktree: string,
): Promise<void> {
  const where = mirrorLocation(dataDir, owner, repo);
  if (!existsSync(where.dir)) {
    await rm(worktree, { recursive: true, force: true });
    return;
  }
  await withRepoLock(where.lock, { timeoutMs: NETWORK_TIMEOUT_MS }, async () => {
    if (await park(where.dir, worktree)) return;
    await removeWorktreesUnder(where.dir, worktree);
  });
  // One that never got registered (its checkout failed) is removed all the same.
  await rm(worktree, { recursive: true, force: true });
}

async function createMirror(dir: string, req: WorktreeRequest): Promise<void> {
  // Made aside and renamed into place: a crash half-way leaves no half mirror behind.
  const partial = `${dir}.new-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(dirname(dir), { recursive: true });
  try {
    await runGit(["init", "--quiet", "--bare", "--", partial], { cwd: dirname(dir) });
    const config: Array<[string, string]> = [
      ["core.repositoryformatversion", "1"],
      ["extensions.partialClone", "origin"],
      ["remote.origin.url", req.url],
      ["remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"],
      ["remote.origin.promisor", "true"],
      ["remote.origin.partialclonefilter", "blob:none"],
      ["remote.origin.tagopt", "--no-tags"],
    ];
    for (const [key, value] of config) await runGit(["config", key, value], { cwd: partial });
    await fetchMirror(partial, req);
    await rename(partial, dir);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

async function fetchMirror(dir: string, req: WorktreeRequest): Promise<void> {
  await runGit(["fetch", "--quiet", "--prune", "--no-tags", "--filter=blob:none", "origin"], {
    cwd: dir,
    token: req.token,
    signal: req.signal,
    timeoutMs: NETWORK_TIMEOUT_MS,
  });
}

/** Least recently used first, when the cache is over its cap. */
async function markUsed(dir: string): Promise<void> {
  const mark = join(dir, USED_MARK);
  const now = new Date();
  await writeFile(mark, `${now.toISOString()}\n`);
  await utimes(mark, now, now);
}

export function lastUsedMark(dir: string): string {
  return join(dir, USED_MARK);
}

/** The runs' worktrees the mirror knows of, by path (the mirror itself and its spare left out). */
export async function listWorktrees(mirror: string): Promise<string[]> {
  const spare = join(resolve(mirror), SPARE);
  return (await worktreePaths(mirror)).filter((path) => path !== resolve(mirror) && path !== spare);
}

async function worktreePaths(mirror: string): Promise<string[]> {
  const { stdout } = await runGit(["worktree", "list", "--porcelain", "-z"], { cwd: mirror });
  return stdout
    .split("\0")
    .filter((field) => field.startsWith("worktree "))
    .map((field) => resolve(field.slice("worktree ".length)));
}

/** Moves the spare (when there is a sound one) to `target`; false when there is none. */
async function takeSpare(mirror: string, target: string): Promise<boolean> {
  const spare = join(resolve(mirror), SPARE);
  if (!existsSync(spare)) return false;
  if ((await worktreePaths(mirror)).includes(spare)) {
    try {
      await runGit(["worktree", "move", "--", spare, target], { cwd: mirror });
      return true;
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
    }
  }
  // Left half-made by a crash: not worth trusting.
  await rm(spare, { recursive: true, force: true });
  await runGit(["worktree", "prune"], { cwd: mirror });
  return false;
}

/**
 * Keeps a settled run's worktree as the spare when there is none yet: back on the default
 * branch (none of the run's changes left in its files), its local branch deleted, untracked
 * and ignored files removed. False when it was not kept.
 */
async function park(mirror: string, worktree: string): Promise<boolean> {
  const path = resolve(worktree);
  const spare = join(resolve(mirror), SPARE);
  if (existsSync(spare) || !(await worktreePaths(mirror)).includes(path)) return false;
  try {
    await assertSafeRepoConfig(path);
    const head = await runGit(["symbolic-ref", "--quiet", "HEAD"], { cwd: path }).then(
      ({ stdout }) => stdout.trim(),
      () => "",
    );
    await runGit(["checkout", "--quiet", "--force", "--detach", "refs/remotes/origin/HEAD"], {
      cwd: path,
    });
    if (head.startsWith("refs/heads/")) {
      await deleteLocalBranch(mirror, head.slice("refs/heads/".length));
    }
    await runGit(["clean", "-ffdxq"], { cwd: path });
    await runGit(["worktree", "move", "--", path, spare], { cwd: mirror });
    return true;
  } catch (error) {
    if (error instanceof GitError) return false;
    throw error;
  }
}

/** Removes every worktree at or under `folder`, with the local branch each had checked out. */
async function removeWorktreesUnder(mirror: string, folder: string): Promise<void> {
  const root = resolve(folder);
  const { stdout } = await runGit(["worktree", "list", "--porcelain", "-z"], { cwd: mirror });
  let path: string | undefined;
  const doomed: Array<{ path: string; branch: string | undefined }> = [];
  for (const field of stdout.split("\0")) {
    if (field.startsWith("worktree ")) path = field.slice("worktree ".length);
    else if (field === "" && path !== undefined) path = undefined;
    if (path === undefined) continue;
    const inside = resolve(path) === root || resolve(path).startsWith(root + sep);
    if (!inside) continue;
    if (!doomed.some((d) => d.path === path)) doomed.push({ path, branch: undefined });
    if (field.startsWith("branch refs/heads/")) {
      const entry = doomed.find((d) => d.path === path);
      if (entry) entry.branch = field.slice("branch refs/heads/".length);
    }
  }
  for (const { path: worktree, branch } of doomed) {
    await rm(worktree, { recursive: true, force: true });
    if (branch !== undefined) await deleteLocalBranch(mirror, branch);
  }
  // Forgets worktrees whose folders are gone (removed above, or by a crash's cleanup).
  await runGit(["worktree", "prune"], { cwd: mirror });
}

async function deleteLocalBranch(mirror: string, branch: string): Promise<void> {
  try {
    await runGit(["update-ref", "-d", `refs/heads/${branch}`], { cwd: mirror });
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
  }
}
