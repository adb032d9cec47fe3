// The git operations a run needs, on top of runGit: clone, branch, commit,
// push and diff statistics. Network commands take a token function and ask it
// right before they run; commands in the worktree check its config first.
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { assertSafeRepoConfig } from "./git-config-guard.ts";
import { GitError, runGit } from "./git-run.ts";
import { guardWorktree } from "./worktree-guard.ts";
import {
  assertPushAllowed,
  leaseArgument,
  leaseRefusal,
  PushRefused,
  type BranchLease,
} from "./push-guard.ts";

export { branchSlug } from "./branch-slug.ts";
export { GitError, runGit } from "./git-run.ts";

export interface Identity {
  name: string;
  email: string;
}

export interface DiffStat {
  files: { path: string; insertions: number | null; deletions: number | null }[];
  insertions: number;
  deletions: number;
}

/** A fetch or push that has not finished by then has stalled; the run fails rather than hangs. */
export const NETWORK_TIMEOUT_MS = 15 * 60_000;

export async function cloneRepository(opts: {
  url: string;
  dir: string;
  token: () => Promise<string>;
  branch?: string;
  /** `--filter=blob:none`: later commands that need a missing blob fetch it without a token. */
  partial?: boolean;
  signal?: AbortSignal;
}): Promise<void> {
  assertNoCredentials("clone", opts.url);
  const dir = resolve(opts.dir);
  await mkdir(dirname(dir), { recursive: true });
  const args = ["clone", "--quiet"];
  if (opts.branch !== undefined) args.push("--branch", opts.branch);
  if (opts.partial === true) args.push("--filter=blob:none");
  args.push("--", opts.url, dir);
  await runGit(args, {
    cwd: dirname(dir),
    token: opts.token,
    signal: opts.signal,
    timeoutMs: NETWORK_TIMEOUT_MS,
  });
}

export async function createBranch(cwd: string, name: string): Promise<void> {
  if (name.startsWith("-")) throw new GitError("switch", `invalid branch name ${name}`, null, "");
  await runGit(["switch", "--quiet", "-c", name], { cwd });
}

export async function currentHead(cwd: string): Promise<string> {
  const { stdout } = await runGit(["rev-parse", "--verify", "HEAD"], { cwd });
  return stdout.trim();
}

/**
 * Stages everything, untracked files included, but nested repositories (worktree-guard.ts),
 * and commits. Null when nothing changed.
 */
export async function commitAll(
  cwd: string,
  opts: {
    /** The message, or how to write it from the files staged (so nothing reads the tree twice). */
    message: string | ((files: readonly string[]) => string);
    author: Identity;
    committer?: Identity;
    /** Told the nested repositories left out, when there are any. */
    onLeftOut?: (paths: string[]) => void | Promise<void>;
  },
): Promise<string | null> {
  const guarded = await guardWorktree(cwd);
  if (guarded.nested.length > 0) await opts.onLeftOut?.(guarded.nested);
  await runGit(["add", "--all", "--", ...guarded.pathspec], { cwd });
  const staged = await runGit(["diff", "--cached", "--name-only", "-z"], { cwd });
  if (staged.stdout === "") return null;
  const files = staged.stdout.split("\0").filter((name) => name !== "");
  const message = typeof opts.message === "string" ? opts.message : opts.message(files);
  const committer = opts.committer ?? opts.author;
  await runGit(
    [
      "-c",
      `user.name=${committer.name}`,
      "-c",
      `user.email=${committer.email}`,
      "commit",
      "--quiet",
      "--no-verify",
      "-m",
      message,
    ],
    { cwd, env: { GIT_AUTHOR_NAME: opts.author.name, GIT_AUTHOR_EMAIL: opts.author.email } },
  );
  return currentHead(cwd);
}

/**
 * Pushes HEAD to `refs/heads/<branch>` at `url`, under the push guard: never to the default
 * branch or a branch Stamina did not create, and only while the remote branch is where the
 * lease expects it (absent before the first push). A branch that moved fails with PushRefused.
 */
export async function push(
  cwd: string,
  opts: { url: string; lease: BranchLease; token: () => Promise<string>; signal?: AbortSignal },
): Promise<void> {
  assertNoCredentials("push", opts.url);
  const { branch } = opts.lease;
  assertPushAllowed(opts.lease);
  if (!(await validBranchName(cwd, branch))) {
    throw new GitError("push", `invalid branch name ${JSON.stringify(branch)}`, null, "");
  }
  await assertSafeRepoConfig(cwd, opts.signal);
  const args = ["push", "--no-verify", leaseArgument(opts.lease)];
  try {
    await runGit([...args, "--", opts.url, `HEAD:refs/heads/${branch}`], {
      cwd,
      token: opts.token,
      signal: opts.signal,
      timeoutMs: NETWORK_TIMEOUT_MS,
    });
  } catch (error) {
    // git says "stale info" when the lease did not hold (and "fetch first" for a plain race).
    if (error instanceof GitError && /stale info|fetch first|non-fast-forward/.test(error.stderr)) {
      throw new PushRefused(leaseRefusal(opts.lease));
    }
    throw error;
  }
}

/** Changes from `base` to the working tree, tracked files only. */
export async function diffStat(cwd: string, base: string): Promise<DiffStat> {
  const { pathspec } = await guardWorktree(cwd);
  const args = ["diff", "--numstat", "--no-renames", "--no-ext-diff", "--no-textconv", "-z", base];
  const { stdout } = await runGit([...args, "--", ...pathspec], { cwd });
  const stat: DiffStat = { files: [], insertions: 0, deletions: 0 };
  for (const record of stdout.split("\0")) {
    const match = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(record);
    if (match === null) continue;
    // Binary files show "-": they have no line counts.
    const insertions = match[1] === "-" ? null : Number(match[1]);
    const deletions = match[2] === "-" ? null : Number(match[2]);
    stat.files.push({ path: match[3] ?? "", insertions, deletions });
    stat.insertions += insertions ?? 0;
    stat.deletions += deletions ?? 0;
  }
  return stat;
}

export async function validBranchName(cwd: string, branch: string): Promise<boolean> {
  if (branch.startsWith("-")) return false;
  try {
    await runGit(["check-ref-format", `refs/heads/${branch}`], { cwd });
    return true;
  } catch (error) {
    // check-ref-format answers "invalid" with exit code 1 and nothing else.
    if (error instanceof GitError && error.exitCode === 1) return false;
    throw error;
  }
}

/** A credential in a URL would be written to .git/config and shown in errors. */
function assertNoCredentials(subcommand: string, url: string): void {
  if (/^https?:\/\/[^/]*@/i.test(url)) {
    throw new GitError(subcommand, "the repository URL must not carry credentials", null, "");
  }
}
