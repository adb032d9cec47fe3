// The rule every push of a run obeys: only to a `stamina/` branch (or the
// branch of a pull request a writer handed to Stamina), never the default
// branch, and only where the remote branch stands exactly as this run left it
// (absent before its first push). The second half travels to git as a lease,
// so a branch someone else made or moved is never overwritten.

/** Where a run may push, and where it expects the remote branch to be. */
export interface BranchLease {
  branch: string;
  defaultBranch: string;
  /** The commit the run last saw on the remote branch; null when the branch must not exist. */
  sha: string | null;
  /**
   * The branch of a pull request Stamina works on (a follow-up run): its own, or one a writer
   * handed over with `/stamina run`, which Stamina may push to though it did not create it.
   */
  pullRequest?: boolean;
}

const BRANCH_PREFIX = "stamina/";

export class PushRefused extends Error {
  override name = "PushRefused";
}

export function assertPushAllowed(lease: BranchLease): void {
  const { branch, defaultBranch } = lease;
  if (branch === defaultBranch) {
    throw new PushRefused(
      `Stamina never pushes to the default branch (\`${defaultBranch}\`); it works on a \`${BRANCH_PREFIX}\` branch of its own.`,
    );
  }
  if (!branch.startsWith(BRANCH_PREFIX) && lease.pullRequest !== true) {
    throw new PushRefused(
      `Stamina pushes only to branches it created (\`${BRANCH_PREFIX}…\`), not to \`${branch}\`.`,
    );
  }
}

/** `--force-with-lease` for the lease: the push goes through only if the remote is as expected. */
export function leaseArgument(lease: BranchLease): string {
  return `--force-with-lease=refs/heads/${lease.branch}:${lease.sha ?? ""}`;
}

/** A rejected lease, in the words a maintainer reads. */
export function leaseRefusal(lease: BranchLease): string {
  return lease.sha === null
    ? `the branch \`${lease.branch}\` appeared on GitHub before Stamina's first push to it; Stamina does not push to a branch it did not create.`
    : `the branch \`${lease.branch}\` moved on GitHub since Stamina's last push (${lease.sha.slice(0, 7)}); Stamina does not overwrite commits it did not make.`;
}
