// A `/stamina rollback` request carried out by a worker: the run's branch
// fetched through the repository's mirror, a new commit on top of it whose
// tree is the checkpoint's (with the `Stamina-Audit` trailer of the run's
// chain), pushed as every run pushes (pushToBranch: the secret scan, then the
// push guard with a lease on the branch as it was fetched); the run's audit
// log records it, its audit check runs move to the new head, its tracking
// comment says so, and the person who asked is answered where they asked.
// Never a reset, never a force-push over commits.
import { join } from "node:path";
import type { AuditSink } from "../../agent/ports.ts";
import { commitsSince, commitTreeOnTop, treeOf } from "../../workspace/git-rollback.ts";
import { fetchFromRemote, hasCommit, remoteBranchSha } from "../../workspace/git-remote.ts";
import { GitError, runGit } from "../../workspace/git-run.ts";
import { NETWORK_TIMEOUT_MS } from "../../workspace/git.ts";
import { checkoutFromMirror, releaseWorktree } from "../../workspace/mirror.ts";
import { assertPushAllowed, PushRefused } from "../../workspace/push-guard.ts";
import { publishAuditLog } from "../../surface/audit-checks.ts";
import { loadCheckpoints } from "../../store/branch-checkpoints.ts";
import { auditSeal, pushToBranch, signedBy } from "../milestone.ts";
import { BOT, coAuthorOf } from "../commits.ts";
import type { RunDependencies } from "../dependencies.ts";
import { RunFailure } from "../failure.ts";
import { CancelRequested, ShutdownRequested } from "../interruptions.ts";
import { LeaseLost } from "../../store/leases.ts";
import type { RepoRef } from "../../github/types.ts";
import {
  rollbackCommitMessage,
  rollbackDone,
  rollbackFailed,
  rollbackNotNeeded,
  rolledBackTracking,
} from "../../surface/rollback-text.ts";
import type { Rollback } from "../../store/rollbacks.ts";
import { runDirectories } from "../run-directories.ts";
import type { Run } from "../../store/types.ts";

/** A rollback that cannot be done, in words for the person who asked. */
class RollbackRefused extends Error {
  override name = "RollbackRefused";
}

type Deps = Pick<
  RunDependencies,
  "store" | "github" | "dataDir" | "log" | "auditSigner" | "redactor"
>;

/** Carries out a claimed rollback run and ends it. */
export async function executeRollback(job: Run, deps: Deps, signal: AbortSignal): Promise<Run> {
  const { store, github, log } = deps;
  const ref: RepoRef = { installationId: job.installationId, owner: job.owner, repo: job.repo };
  const request = await store.rollbacks.get(job.id);
  if (!request) return store.runs.finish(job.id, "failed", "the rollback request is missing");
  const dirs = await runDirectories(deps.dataDir, job.id, job.attempts);
  try {
    const outcome = await rollBack({ deps, job, request, ref, worktree: dirs.worktree, signal });
    return await store.runs.finish(job.id, "succeeded", outcome);
  } catch (error) {
    // Handed back: the lease runs out and a worker claims the request again.
    if (error instanceof ShutdownRequested || error instanceof LeaseLost) return job;
    if (signal.aborted && signal.reason instanceof ShutdownRequested) return job;
    const cancel = cancelOf(error, signal);
    const reason =
      error instanceof RollbackRefused
        ? error.message
        : cancel
          ? `${cancel.by} stopped it (${cancel.reason}).`
          : "something unexpected went wrong; the app's log has the details.";
    if (cancel) log.info({ by: cancel.by }, "rollback stopped");
    else log.error({ err: error }, "rollback failed");
    try {
      await github.createComment(ref, request.askedOn, rollbackFailed(request, reason));
    } catch (commentError) {
      log.warn({ err: commentError }, "could not say that the rollback failed");
    }
    if (cancel) return await store.runs.finish(job.id, "cancelled", `stopped: ${cancel.reason}`);
    return await store.runs.finish(job.id, "failed", `rollback failed: ${reason}`);
  } finally {
    try {
      await releaseWorktree(deps.dataDir, job.owner, job.repo, dirs.worktree);
    } catch (error) {
      log.warn({ err: error }, "could not remove the rollback's worktree");
    }
  }
}

async function rollBack(args: {
  deps: Deps;
  job: Run;
  request: Rollback;
  ref: RepoRef;
  worktree: string;
  signal: AbortSignal;
}): Promise<string> {
  const { deps, job, request, ref, worktree: cwd, signal } = args;
  const { store, github } = deps;
  const target = await store.runs.mustGet(request.targetRunId);
  // The run's own log: the rollback is part of its story, on its chain.
  const audit: AuditSink = {
    record: async (type, data) => void (await store.audit.append(target.id, [{ type, data }])),
  };
  const remote: Remote = {
    url: github.cloneUrl(job.owner, job.repo),
    token: () => github.gitToken(ref),
    defaultBranch: await github.defaultBranch(ref),
  };
  const tip = await fetchBranch({ deps, job, request, remote, cwd, signal });
  const checkpoints = await loadCheckpoints(store, target);
  const checkpoint = checkpoints.find((c) => c.sha === request.toSha) ?? {
    number: request.checkpoint,
    sha: request.toSha,
    green: false,
  };
  if ((await treeOf(cwd, tip)) === (await treeOf(cwd, request.toSha))) {
    await github.createComment(ref, request.askedOn, rollbackNotNeeded(request));
    return `branch already at checkpoint ${request.checkpoint}`;
  }
  const known: string[] = [];
  for (const sha of [...checkpoints.map((c) => c.sha), target.baseSha]) {
    if (sha !== null && (await hasCommit(cwd, sha))) known.push(sha);
  }
  const undone = await commitsSince(cwd, tip, known);
  const sha = await commitAndPush({ deps, job, target, request, remote, tip, audit, cwd, signal });
  await audit.record("rollback.committed", {
    from: tip,
    to: request.toSha,
    checkpoint: request.checkpoint,
    sha,
    by: request.requestedBy,
    request: job.id,
    ...(undone.length > 0 ? { undone: undone.map((c) => c.sha) } : {}),
  });
  await surfaceRollback({ deps, target, request, checkpoint, sha, audit, ref });
  await github.createComment(
    ref,
    request.askedOn,
    rollbackDone({ request, checkpoint, sha, from: tip, undone, pullUrl: target.pullUrl }),
  );
  return `rolled back to checkpoint ${request.checkpoint} (${request.toSha.slice(0, 7)}) with ${sha.slice(0, 7)}`;
}

/** Where the repository is on GitHub, and the token its git commands ask for. */
interface Remote {
  url: string;
  token: () => Promise<string>;
  defaultBranch: string;
}

/**
 * The repository's default branch checked out from the mirror, with the run's branch as it is on
 * GitHub now and the checkpoint's commit fetched; the branch's tip.
 */
async function fetchBranch(args: {
  deps: Deps;
  job: Run;
  request: Rollback;
  remote: Remote;
  cwd: string;
  signal: AbortSignal;
}): Promise<string> {
  const { deps, job, request, cwd, signal } = args;
  const { url, token, defaultBranch } = args.remote;
  const { branch } = request;
  await checkoutFromMirror({
    dataDir: deps.dataDir,
    owner: job.owner,
    repo: job.repo,
    url,
    token,
    branch: defaultBranch,
    worktree: cwd,
    replaces: join(deps.dataDir, "runs", job.id),
    signal,
  });
  const tip = await remoteBranchSha(cwd, { url, branch, token, signal });
  if (tip === null) {
    throw new RollbackRefused(
      `the branch is no longer on GitHub, so there is nothing to roll back.`,
    );
  }
  if (!(await hasCommit(cwd, tip))) {
    await fetchFromRemote(cwd, { url, ref: `refs/heads/${branch}`, token, signal });
  }
  if (!(await hasCommit(cwd, request.toSha))) {
    try {
      await fetchFromRemote(cwd, { url, ref: request.toSha, token, signal });
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      throw new RollbackRefused(
        `GitHub no longer has that commit (was the branch rewritten?). \`/stamina status\` lists the checkpoints.`,
      );
    }
  }
  return tip;
}

/**
 * A new commit on top of the tip whose tree is the checkpoint's, with the run's audit trailer,
 * pushed as every run pushes (the secret scan, then the push guard with a lease on the tip).
 */
async function commitAndPush(args: {
  deps: Deps;
  job: Run;
  target: Run;
  request: Rollback;
  remote: Remote;
  tip: string;
  audit: AuditSink;
  cwd: string;
  signal: AbortSignal;
}): Promise<string> {
  const { deps, job, target, request, tip, audit, cwd, signal } = args;
  const { url, token, defaultBranch } = args.remote;
  const { store } = deps;
  const lease = { branch: request.branch, defaultBranch, sha: tip };
  try {
    assertPushAllowed(lease);
  } catch (error) {
    if (error instanceof PushRefused) throw new RollbackRefused(error.message);
    throw error;
  }
  const head = (await store.audit.head(target.id)) ?? "";
  const co = coAuthorOf(job);
  const seal = auditSeal(head, deps.auditSigner?.sign);
  const trailers = [`Co-authored-by: ${co.name} <${co.email}>`, ...seal.trailers];
  const sha = await commitTreeOnTop(cwd, {
    tree: request.toSha,
    parent: tip,
    message: rollbackCommitMessage(request, trailers, target.issueNumber),
    author: BOT,
    committer: BOT,
  });
  // Both trees' files in the worktree (a partial clone fetches them with the token), so the
  // push's secret scan can read what the commit changes; then the push every run makes.
  for (const rev of [tip, sha]) {
    await runGit(["checkout", "--quiet", "--force", "--detach", rev], {
      cwd,
      token,
      signal,
      timeoutMs: NETWORK_TIMEOUT_MS,
    });
  }
  try {
    const redactor = deps.redactor;
    // `git.commit` names the commit that goes out: GitHub's own, when GitHub makes it.
    const committed = async (at: string) => {
      await audit.record("git.commit", { sha: at, ...seal.data, reason: "rollback" });
    };
    return await pushToBranch({
      store,
      runId: target.id,
      worktree: cwd,
      audit,
      url,
      lease,
      token,
      ...(redactor ? { redactor } : {}),
      ...signedBy(job, deps.github),
    })(sha, signal, committed);
  } catch (error) {
    if (error instanceof RunFailure)
      throw new RollbackRefused(`${error.message} Nothing was pushed.`);
    throw error;
  }
}

/** The run's tracking comment and its audit check runs follow the new head. Never throws. */
async function surfaceRollback(args: {
  deps: Deps;
  target: Run;
  request: Rollback;
  checkpoint: Parameters<typeof rolledBackTracking>[2];
  sha: string;
  audit: AuditSink;
  ref: RepoRef;
}): Promise<void> {
  const { deps, target, request, checkpoint, sha, audit, ref } = args;
  try {
    if (target.trackingCommentId !== null) {
      const body = rolledBackTracking(target, request, checkpoint, sha);
      await deps.github.updateComment(ref, target.trackingCommentId, body);
      await audit.record("github.write", {
        op: "comment.update",
        commentId: target.trackingCommentId,
      });
    }
    await publishAuditLog({ store: deps.store, github: deps.github, runId: target.id });
  } catch (err) {
    deps.log.warn({ err, rolledBackRunId: target.id }, "could not show the rollback on GitHub");
  }
}

/** The stop request that interrupted the rollback, if one did. */
function cancelOf(error: unknown, signal: AbortSignal): CancelRequested | undefined {
  if (error instanceof CancelRequested) return error;
  if (signal.aborted && signal.reason instanceof CancelRequested) return signal.reason;
  return undefined;
}
