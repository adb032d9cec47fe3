// The remote side of a resume: where the run's branch stands on GitHub, the
// commits a restore needs, and moving the branch back to the last checkpoint's
// commit when a worker died after pushing work the checkpoint does not know.
// Every command authenticates with a fresh token, as runGit does.
import { assertSafeRepoConfig } from "./git-config-guard.ts";
import { GitError, runGit } from "./git-run.ts";
import { NETWORK_TIMEOUT_MS, validBranchName } from "./git.ts";

interface RemoteOptions {
  url: string;
  token: () => Promise<string>;
  signal?: AbortSignal;
}

/** The commit `refs/heads/<branch>` points at on the remote, or null when there is none. */
export async function remoteBranchSha(
  cwd: string,
  opts: RemoteOptions & { branch: string },
): Promise<string | null> {
  const ref = `refs/heads/${opts.branch}`;
  const { stdout } = await runGit(["ls-remote", "--", opts.url, ref], {
    cwd,
    token: opts.token,
    signal: opts.signal,
    timeoutMs: NETWORK_TIMEOUT_MS,
  });
  for (const line of stdout.split("\n")) {
    const [sha, name] = line.split("\t");
    if (name === ref && sha) return sha;
  }
  return null;
}

/** Fetches a branch or a commit into the object store (no ref is updated). */
export async function fetchFromRemote(
  cwd: string,
  opts: RemoteOptions & { ref: string },
): Promise<void> {
  if (opts.ref.startsWith("-")) throw new GitError("fetch", `invalid ref ${opts.ref}`, null, "");
  await assertSafeRepoConfig(cwd, opts.signal);
  await runGit(["fetch", "--quiet", "--no-tags", "--", opts.url, opts.ref], {
    cwd,
    token: opts.token,
    signal: opts.signal,
    timeoutMs: NETWORK_TIMEOUT_MS,
  });
}

/** Whether the object store has this commit. */
export async function hasCommit(cwd: string, sha: string): Promise<boolean> {
  try {
    await runGit(["cat-file", "-e", `${sha}^{commit}`], { cwd });
    return true;
  } catch (error) {
    if (error instanceof GitError && error.exitCode !== null) return false;
    throw error;
  }
}

/**
 * Points the remote branch at `sha`, only if it still points at `expected` (a lease: a push
 * that arrived since is never overwritten).
 */
export async function moveRemoteBranch(
  cwd: string,
  opts: RemoteOptions & { branch: string; sha: string; expected: string },
): Promise<void> {
  if (!(await validBranchName(cwd, opts.branch))) {
    throw new GitError("push", `invalid branch name ${JSON.stringify(opts.branch)}`, null, "");
  }
  await assertSafeRepoConfig(cwd, opts.signal);
  const ref = `refs/heads/${opts.branch}`;
  await runGit(
    [
      "push",
      "--no-verify",
      `--force-with-lease=${ref}:${opts.expected}`,
      "--",
      opts.url,
      `${opts.sha}:${ref}`,
    ],
    { cwd, token: opts.token, signal: opts.signal, timeoutMs: NETWORK_TIMEOUT_MS },
  );
}
