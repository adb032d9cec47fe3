// A run that waits for a person does not wait forever: once nobody has
// answered it for the configured time (STAMINA_REPLY_TIMEOUT_HOURS, 7 days by
// default), it is stopped as `/stamina stop` would stop it (a worker pushes
// the work so far and ends it), and a new comment on its issue says why, so
// the people watching it hear of it (an edited tracking comment notifies nobody).
import type { Logger } from "../observability/logger.ts";
import type { GitHubPort, RepoRef } from "../github/types.ts";
import type { Store } from "../store/store.ts";
import type { Run } from "../store/types.ts";

export interface ExpiryDependencies {
  store: Store;
  github: GitHubPort;
  log: Logger;
  /** How long a run may wait unanswered. */
  timeoutMs: number;
  now?: () => Date;
  /** Told of each run stopped, so a worker in this process claims it at once. */
  onCancelRequested?: (run: Run) => void;
}

/** Text only the expiry comment of this run holds: a second sweep finds it rather than post again. */
function expiryNeedle(runId: string): string {
  return `<sub>Run \`${runId}\`, stopped unanswered</sub>`;
}

/** "7 days", "36 hours", "1 hour": how long it waited, in the unit a person would say. */
export function describeWait(ms: number): string {
  const hours = Math.round(ms / 3_600_000);
  if (hours >= 48 && hours % 24 === 0) return `${hours / 24} days`;
  return hours === 1 ? "1 hour" : `${hours} hours`;
}

/** Stops every run that has waited for a person longer than the timeout; returns how many. */
export async function expireUnanswered(deps: ExpiryDependencies): Promise<number> {
  const now = deps.now?.() ?? new Date();
  const waited = describeWait(deps.timeoutMs);
  const due = await deps.store.pauses.waitingSince(new Date(now.getTime() - deps.timeoutMs));
  for (const run of due) {
    const log = deps.log.child({ runId: run.id, state: run.state });
    const question =
      run.state === "awaiting_approval" ? "its request for approval" : "its question";
    const result = await deps.store.cancels.request(
      run.id,
      "Stamina",
      `gave up waiting: nobody answered ${question} in ${waited}`,
    );
    if (result.outcome === "finished") continue;
    await deps.store.audit.append(run.id, [
      { type: "run.expired", data: { waited: deps.timeoutMs, state: run.state } },
    ]);
    log.info({ waited }, "stopped a run nobody answered");
    if (result.outcome === "requested") deps.onCancelRequested?.(result.run);
    try {
      await postExpiryComment(deps, run, question, waited);
    } catch (error) {
      // The run is stopped either way; the tracking comment will say so once a worker ends it.
      log.warn({ err: error }, "could not post the comment on a run stopped unanswered");
    }
  }
  return due.length;
}

async function postExpiryComment(
  deps: ExpiryDependencies,
  run: Run,
  question: string,
  waited: string,
): Promise<void> {
  const ref: RepoRef = { installationId: run.installationId, owner: run.owner, repo: run.repo };
  const needle = expiryNeedle(run.id);
  if ((await deps.github.findComment(ref, run.issueNumber, needle)) !== null) return;
  const body = [
    `🛑 Stamina stopped this run: nobody answered ${question} in ${waited}.`,
    "",
    "The work so far is pushed to its branch. To go on from where it stopped, comment `/stamina retry`; to start over, `/stamina run`.",
    "",
    needle,
  ].join("\n");
  const { id } = await deps.github.createComment(ref, run.issueNumber, body);
  await deps.store.audit.append(run.id, [
    { type: "github.write", data: { op: "comment.create", commentId: id, why: "expired" } },
  ]);
}

/** Sweeps every `everyMs` (unref'd: it keeps no process alive); returns the stop. */
export function startExpirySweep(deps: ExpiryDependencies, everyMs = 60_000): () => void {
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    expireUnanswered(deps)
      .catch((error: unknown) => deps.log.warn({ err: error }, "the unanswered-run sweep failed"))
      .finally(() => {
        sweeping = false;
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
