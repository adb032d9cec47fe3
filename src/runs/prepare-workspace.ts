// The run's worktree on this machine, from the repository's mirror cache
// (src/workspace/mirror.ts): on a new branch for a new run (`-2`, `-3`… when
// the name is taken on GitHub), or, for a run that has been here before
// (another worker, another machine), at the base commit of its last step
// checkpoint with the checkpoint's diff applied. A worker that died after pushing commits the
// checkpoint does not know leaves them on the branch; they are Stamina's own
// (the audit log names them), so the branch is moved back to the base first.
import type { AuditSink } from "../agent/ports.ts";
import type { AuditEvent } from "../audit/types.ts";
import { join } from "node:path";
import { freeBranchName } from "../workspace/branch-slug.ts";
import { branchSlug, currentHead, runGit } from "../workspace/git.ts";
import {
  fetchFromRemote,
  hasCommit,
  moveRemoteBranch,
  remoteBranchSha,
} from "../workspace/git-remote.ts";
import { checkoutFromMirror, fetchedBranchNames } from "../workspace/mirror.ts";
import { assertPushAllowed, PushRefused, type BranchLease } from "../workspace/push-guard.ts";
import { applyDiff } from "../workspace/diff.ts";
import { RunFailure } from "./failure.ts";
import type { GitHubPort, RepoRef } from "../github/types.ts";
import { runDirectories, type RunDirectories } from "./run-directories.ts";
import type { Store } from "../store/store.ts";
import type { Run, StoredCheckpoint } from "../store/types.ts";

export interface Workspace {
  dirs: RunDirectories;
  /** The remote, without credentials. */
  url: string;
  token: () => Promise<string>;
  defaultBranch: string;
  branch: string;
  /** Where every push of this attempt goes, and where the branch stands on GitHub. */
  lease: BranchLease;
}

export interface PrepareOptions {
  run: Run;
  store: Store;
  github: GitHubPort;
  audit: AuditSink;
  dataDir: string;
  signal: AbortSignal;
  /** The last step checkpoint, when there is one. */
  checkpoint: StoredCheckpoint | undefined;
  /** The caller applies the checkpoint's diff itself, after setup (the run pipeline). */
  deferDiff?: boolean;
}

export async function prepareWorkspace(
  options: PrepareOptions,
): Promise<{ run: Run; workspace: Workspace }> {
  const { store, github, audit, signal } = options;
  let run = options.run;
  const ref: RepoRef = { installationId: run.installationId, owner: run.owner, repo: run.repo };
  const dirs = await runDirectories(options.dataDir, run.id, run.attempts);
  const token = () => github.gitToken(ref);
  const url = github.cloneUrl(run.owner, run.repo);
  const defaultBranch = await github.defaultBranch(ref);
  const cache = await checkoutFromMirror({
    dataDir: options.dataDir,
    owner: run.owner,
    repo: run.repo,
    url,
    token,
    branch: defaultBranch,
    worktree: dirs.worktree,
    replaces: join(options.dataDir, "runs", run.id),
    signal,
  });
  const cwd = dirs.worktree;
  const mirror = cache.created ? "created" : "reused";

  if (run.branch === null || run.baseSha === null) {
    const baseSha = await currentHead(cwd);
    await audit.record("git.clone", { url, branch: defaultBranch, sha: baseSha, mirror });
    // A name already on GitHub is someone else's branch (or an earlier run's): never reused.
    const wanted = branchSlug(run.issueNumber, run.issueTitle);
    const taken = await fetchedBranchNames(cwd, wanted);
    const branch = freeBranchName(wanted, taken);
    await runGit(["switch", "--quiet", "--force-create", branch], { cwd });
    run = await store.runs.update(run.id, { state: "running", branch, baseSha });
    await audit.record("git.branch", {
      branch,
      base: baseSha,
      ...(branch !== wanted ? { taken: wanted } : {}),
    });
    const lease = { branch, defaultBranch, sha: null };
    return { run, workspace: { dirs, url, token, defaultBranch, branch, lease } };
  }

  const branch = run.branch;
  const checkpoint = options.checkpoint;
  const base = checkpoint?.baseSha ?? run.headSha ?? run.baseSha;
  const remote = await remoteBranchSha(cwd, { url, branch, token, signal });
  if (remote !== null)
    await fetchFromRemote(cwd, { url, ref: `refs/heads/${branch}`, token, signal });
  if (!(await hasCommit(cwd, base))) await fetchFromRemote(cwd, { url, ref: base, token, signal });
  if (remote !== null && remote !== base) {
    const ours = await store.audit.events(run.id).then((events) => pushedByRun(events, remote));
    if (!ours) {
      throw new RunFailure(
        `the branch \`${branch}\` has commits Stamina did not make since its last checkpoint, so it will not overwrite them. Move them to another branch, then start a new run.`,
      );
    }
    // The same guard as every push: a branch Stamina made, never the default branch.
    try {
      assertPushAllowed({ branch, defaultBranch, sha: remote });
    } catch (error) {
      if (error instanceof PushRefused) throw new RunFailure(error.message);
      throw error;
    }
    await moveRemoteBranch(cwd, { url, branch, sha: base, expected: remote, token, signal });
    await audit.record("git.rewind", {
      branch,
      from: remote,
      to: base,
      reason: "pushed by an attempt that stopped before its checkpoint; the step runs again",
    });
  }
  await audit.record("git.clone", { url, branch: defaultBranch, mirror });
  await runGit(["switch", "--quiet", "--force-create", branch, base], { cwd, token, signal });
  if (checkpoint && !options.deferDiff) await applyDiff(cwd, checkpoint.diff);
  await audit.record("run.resumed", {
    fromStep: checkpoint?.step ?? 0,
    base,
    diffBytes: checkpoint?.diff.length ?? 0,
    attempt: run.attempts,
  });
  run = await store.runs.update(run.id, {
    state: "running",
    headSha: base === run.baseSha ? null : base,
  });
  // The branch on GitHub is at `base` now (rewound), at `remote` (= base), or absent.
  const lease = {
    branch,
    defaultBranch,
    sha: remote === null ? null : base,
    ...(run.kind === "follow_up" ? { pullRequest: true } : {}),
  };
  return { run, workspace: { dirs, url, token, defaultBranch, branch, lease } };
}

/** Whether this run's audit log records committing `sha` (only Stamina's commits are rewound). */
function pushedByRun(events: AuditEvent[], sha: string): boolean {
  return events.some(
    (e) => (e.type === "git.commit" || e.type === "git.push") && e.data.sha === sha,
  );
}
