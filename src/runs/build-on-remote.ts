// A run on a pull request shares its branch with people: a reviewer may push
// a commit while Stamina works. Before each push such a run fetches the
// branch and, when it moved, replays its own new commits on top of what is
// there, so the push adds to their work and never overwrites it. A conflict
// stops the run in words; nothing of theirs is touched.
import type { AuditSink } from "../agent/ports.ts";
import { currentHead, runGit, type Identity } from "../workspace/git.ts";
import { fetchFromRemote, remoteBranchSha } from "../workspace/git-remote.ts";
import { GitError } from "../workspace/git-run.ts";
import type { BranchLease } from "../workspace/push-guard.ts";
import { RunFailure } from "./failure.ts";

export interface RemoteBranch {
  worktree: string;
  url: string;
  lease: BranchLease;
  token: () => Promise<string>;
  audit: AuditSink;
  /** Who replays the commits (the committer; the authors stay as they were). */
  committer: Identity;
}

/**
 * Puts the run's unpushed commits on top of the branch as it is on GitHub now, and moves the
 * lease there. Returns the new head (unchanged when nobody else pushed).
 */
export async function buildOnRemote(target: RemoteBranch, signal: AbortSignal): Promise<string> {
  const { worktree: cwd, url, lease, token } = target;
  const head = await currentHead(cwd);
  if (lease.sha === null) return head;
  const remote = await remoteBranchSha(cwd, { url, branch: lease.branch, token, signal });
  if (remote === null || remote === lease.sha) return head;
  await fetchFromRemote(cwd, { url, ref: `refs/heads/${lease.branch}`, token, signal });
  const theirs = await runGit(["rev-list", "--count", `${lease.sha}..${remote}`], { cwd });
  try {
    await runGit(
      [
        "-c",
        `user.name=${target.committer.name}`,
        "-c",
        `user.email=${target.committer.email}`,
        "rebase",
        "--quiet",
        "--onto",
        remote,
        lease.sha,
      ],
      { cwd, signal },
    );
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    await runGit(["rebase", "--abort"], { cwd }).catch((abortError: unknown) => {
      if (!(abortError instanceof GitError)) throw abortError;
    });
    await target.audit.record("git.rebase_conflict", { branch: lease.branch, onto: remote });
    throw new RunFailure(
      `someone pushed to \`${lease.branch}\` while Stamina worked, and their change conflicts with Stamina's, so Stamina did not push. Their commits are untouched; comment again to start a new round on top of them.`,
    );
  }
  const rebased = await currentHead(cwd);
  await target.audit.record("git.rebase", {
    branch: lease.branch,
    onto: remote,
    from: lease.sha,
    theirs: Number(theirs.stdout.trim()),
    head: rebased,
    reason: "commits pushed by someone else during the run: built on, not overwritten",
  });
  lease.sha = remote;
  return rebased;
}
