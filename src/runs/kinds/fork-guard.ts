// A run on a pull request (a follow-up) may push only to a branch of this
// repository: one whose branch lives in a fork fails at once, in words,
// before anything is cloned.
import { cannotPushToFork, forkOf } from "../../github/fork.ts";
import { RunFailure } from "../failure.ts";
import type { GitHubPort } from "../../github/types.ts";
import type { Run } from "../../store/types.ts";

export async function refuseForkPullRequest(run: Run, github: GitHubPort): Promise<void> {
  if (run.kind !== "follow_up") return;
  const ref = { installationId: run.installationId, owner: run.owner, repo: run.repo };
  const pull = await github.pullRequest(ref, run.issueNumber);
  const fork = forkOf({
    head: { ref: pull.headRef, repo: pull.headRepo === null ? null : { full_name: pull.headRepo } },
    base: { repo: { full_name: pull.baseRepo } },
  });
  if (fork === null) return;
  throw new RunFailure(
    `Stamina can't work on this pull request: ${cannotPushToFork(pull.headRef, fork, pull.headRepo === null)}.`,
  );
}
