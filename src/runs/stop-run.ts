// A run someone stopped (the label removed, `/stamina stop`): the work so far
// is committed and pushed to the run's branch, the tracking comment says who
// stopped it, and the run ends cancelled. The run's own signal is aborted by
// then, so the push gets its own time limit.
import type { AuditSink } from "../agent/ports.ts";
import type { Logger } from "../observability/logger.ts";
import { NETWORK_TIMEOUT_MS } from "../workspace/git.ts";
import { BOT, coAuthorOf, stoppedCommitMessage } from "./commits.ts";
import type { CancelRequested } from "./interruptions.ts";
import { createMilestones, pushToBranch, signedBy } from "./milestone.ts";
import type { GitHubPort } from "../github/types.ts";
import { prepareWorkspace, type Workspace } from "./prepare-workspace.ts";
import type { Store } from "../store/store.ts";
import type { Say } from "../surface/tracking.ts";
import type { Redactor } from "../observability/redact.ts";
import type { Run } from "../store/types.ts";

export interface StopContext {
  runId: string;
  store: Store;
  github: GitHubPort;
  audit: AuditSink;
  say: Say;
  log: Logger;
  dataDir: string;
  /** The worktree, when the run got that far. */
  workspace: Workspace | undefined;
  /** The run's redactor: its own secrets, in any form, block the push of the work so far. */
  redactor?: Redactor;
  /** Signs the audit head the commit of the work so far names; none unsigned. */
  signHead?: (head: string) => string;
  /** Runs after the run's last event, while the worker still holds it (the audit log's check runs). */
  beforeFinish?: () => Promise<void>;
  /**
   * Gives the worktree back to the repository's cache: called before the run is settled in the
   * store, so a run counts against the caps until its disk is free.
   */
  releaseWorkspace?: () => Promise<void>;
}

export async function stopRun(ctx: StopContext, cancel: CancelRequested): Promise<Run> {
  const { store, audit, log } = ctx;
  let pushed: { branch: string; sha: string } | null = null;
  let pushError: string | null = null;
  try {
    pushed = await pushWorkSoFar(ctx, cancel);
  } catch (error) {
    log.error({ err: error }, "could not push the work of a stopped run");
    pushError = error instanceof Error ? error.message : String(error);
  }
  await audit.record("run.stopped", {
    by: cancel.by,
    reason: cancel.reason,
    pushed,
    ...(pushError ? { pushError } : {}),
  });
  await ctx
    .say({ kind: "stopped", by: cancel.by, reason: cancel.reason, pushed })
    .catch((e: unknown) => log.error({ err: e }, "could not update the tracking comment"));
  const outcome = `stopped by ${cancel.by} (${cancel.reason})`;
  await audit.record("run.finished", { state: "cancelled", outcome });
  await ctx.beforeFinish?.();
  await ctx.releaseWorkspace?.();
  return store.runs.finish(ctx.runId, "cancelled", outcome);
}

async function pushWorkSoFar(
  ctx: StopContext,
  cancel: CancelRequested,
): Promise<{ branch: string; sha: string } | null> {
  const { store, audit } = ctx;
  const signal = AbortSignal.timeout(NETWORK_TIMEOUT_MS);
  let run = await store.runs.mustGet(ctx.runId);
  if (run.dryRun) return null; // a dry run pushes nothing, stopped or not
  let workspace = ctx.workspace;
  if (!workspace) {
    // Stopped before this attempt had restored its worktree: restore it to push what the
    // last checkpoint holds. A run that never got a branch has nothing to push.
    const checkpoint = await store.checkpoints.load(run.id);
    if (!checkpoint)
      return run.headSha && run.branch ? { branch: run.branch, sha: run.headSha } : null;
    ({ workspace, run } = await prepareWorkspace({
      run,
      store,
      github: ctx.github,
      audit,
      dataDir: ctx.dataDir,
      signal,
      checkpoint,
    }));
  }
  const { dirs, url, branch, token, lease } = workspace;
  const worktree = dirs.worktree;
  const milestones = createMilestones({
    worktree,
    author: BOT,
    coAuthor: coAuthorOf(run),
    audit,
    auditHead: () => store.audit.head(ctx.runId),
    ...(ctx.signHead ? { signHead: ctx.signHead } : {}),
    publish: pushToBranch({
      store,
      runId: ctx.runId,
      worktree,
      audit,
      url,
      lease,
      token,
      ...(ctx.redactor ? { redactor: ctx.redactor } : {}),
      ...signedBy(run, ctx.github),
    }),
  });
  const note = `Stopped by ${cancel.by} (${cancel.reason}): the work so far.`;
  const { sha } = await milestones.checkpoint(
    { message: stoppedCommitMessage(run, note), reason: "final" },
    signal,
  );
  if (sha !== null) return { branch, sha };
  return run.headSha ? { branch, sha: run.headSha } : null;
}
