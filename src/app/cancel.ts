// Stopping a run from a handler (the label removed, `/stamina stop`, the
// installation suspended or a repository removed). A run no worker started
// ends here, and its tracking comment says who stopped it; a run with work
// to keep is flagged, and the worker that holds it pushes the work and ends it.
import type { InstallationOctokit } from "../github/client.ts";
import type { Logger } from "../observability/logger.ts";
import { trackingComment } from "../surface/report.ts";
import { runPageUrl } from "../surface/run-link.ts";
import type { Store } from "../store/store.ts";
import type { Run } from "../store/types.ts";

export interface CancelDependencies {
  store: Store;
  log: Logger;
  /** Told when a worker must stop a run it holds, so one in this process hears it at once. */
  onCancelRequested?: (run: Run) => void;
  /** STAMINA_PUBLIC_URL: the tracking comment links to the run's page there; unset, no link. */
  publicUrl?: string;
}

export async function cancelRun(
  deps: CancelDependencies,
  run: Run,
  stop: { by: string; reason: string },
  /** Edits the tracking comment when the run ends here; absent when GitHub cannot be reached. */
  octokit?: InstallationOctokit,
  options: { unlessHeld?: boolean } = {},
): Promise<"cancelled" | "requested" | "finished"> {
  const result = await deps.store.cancels.request(run.id, stop.by, stop.reason, options);
  const log = deps.log.child({ runId: run.id, by: stop.by });
  if (result.outcome === "requested") {
    log.info("asked the worker to stop the run");
    deps.onCancelRequested?.(result.run);
    return result.outcome;
  }
  if (result.outcome === "finished") return result.outcome;
  await deps.store.audit.append(run.id, [
    { type: "run.stopped", data: { by: stop.by, reason: stop.reason, pushed: null } },
    { type: "run.finished", data: { state: "cancelled", outcome: result.run.outcome } },
  ]);
  log.info("stopped a run before it started");
  if (octokit && result.run.trackingCommentId !== null) {
    const runPage = runPageUrl(deps.publicUrl, run.id);
    const stopped = { kind: "stopped", ...stop, pushed: null } as const;
    const body = trackingComment(result.run, stopped, [], [], runPage);
    await octokit.rest.issues.updateComment({
      owner: run.owner,
      repo: run.repo,
      comment_id: result.run.trackingCommentId,
      body,
    });
    await deps.store.audit.append(run.id, [
      {
        type: "github.write",
        data: { op: "comment.update", commentId: result.run.trackingCommentId },
      },
    ]);
  }
  return result.outcome;
}
