// The run's one tracking comment: edited at each stage, never posted twice.
// A comment whose id was not stored (the process died right after posting it)
// is found again by the run's id before a new one is posted.
import type { AuditSink } from "../agent/ports.ts";
import type { GitHubPort, RepoRef } from "../github/types.ts";
import { trackingComment, trackingNeedle, type Stage } from "./report.ts";
import type { Store } from "../store/store.ts";
import type { Run } from "../store/types.ts";

export type Say = (stage: Stage) => Promise<Run>;

export function createTracker(deps: {
  store: Store;
  github: GitHubPort;
  audit: AuditSink;
  runId: string;
  notices?: readonly string[];
  /** The run page's address (run-link.ts), when STAMINA_PUBLIC_URL is set. */
  runPage?: string | null;
  /** The cost lines the comment ends with (cost.ts), as they stand at each write. */
  cost?: (run: Run) => Promise<string[]>;
}): Say {
  const { store, github, audit } = deps;
  return async (stage) => {
    let run = await store.runs.mustGet(deps.runId);
    const ref: RepoRef = { installationId: run.installationId, owner: run.owner, repo: run.repo };
    const body = trackingComment(
      run,
      stage,
      deps.notices,
      (await deps.cost?.(run)) ?? [],
      deps.runPage ?? null,
    );
    let id = run.trackingCommentId;
    if (id === null) {
      // The trigger posts the comment; a poll may claim the run a moment before its id is
      // stored. Progress can wait for it; an outcome must be said anyway.
      if (stage.kind === "working") return run;
      id = await github.findComment(ref, run.issueNumber, trackingNeedle(run.id));
      if (id !== null) run = await store.runs.update(run.id, { trackingCommentId: id });
    }
    if (id === null) {
      const created = await github.createComment(ref, run.issueNumber, body);
      run = await store.runs.update(run.id, { trackingCommentId: created.id });
      await audit.record("github.write", { op: "comment.create", commentId: created.id });
      return run;
    }
    await github.updateComment(ref, id, body);
    await audit.record("github.write", { op: "comment.update", commentId: id });
    return run;
  };
}
