// One run from claim to pull request, as named stages: claim (claim.ts),
// workspace (fresh, or at the last step checkpoint's base commit), setup (on
// that commit's files, never on work the run has not pushed), the checkpoint's
// diff applied, agent
// (with harness-run verification and a checkpoint after every step), finish
// (park, answer a review, post a dry run, or commit) and publish (the pull
// request and the tracking comment). Every stage leaves audit events; an
// attempt that does not reach its end is settled by settle-run.ts.
import { TERMINAL_STATES } from "../../store/schema.ts";
import type { Run } from "../../store/types.ts";
import type { RunDependencies } from "../dependencies.ts";
import { closeRound, endEmptyRound } from "../kinds/finish-round.ts";
import { roundItems } from "../kinds/follow-up.ts";
import { DEFAULT_RETRY, settleRun } from "../settle-run.ts";
import { openNetworkReport } from "../network-report.ts";
import { agentStage } from "./agent.ts";
import { openAttempt, type Attempt } from "./attempt.ts";
import { claimStage } from "./claim.ts";
import { finishStage } from "./finish.ts";
import { setupStage } from "./setup.ts";
import { restoreCheckpoint, workspaceStage } from "./workspace.ts";

/**
 * Runs (or resumes) a claimed run of an issue or a review round. `signal` stops it at once;
 * `drain` asks it to stop at the next safe point (after the current step's checkpoint) and hand
 * the run back to the queue.
 */
export async function runPipeline(
  claimed: Run,
  deps: RunDependencies,
  signal: AbortSignal,
  drain?: AbortSignal,
): Promise<Run> {
  const a = openAttempt(claimed, deps, signal, drain);
  try {
    const ended = await endedEarlier(a);
    if (ended !== null) return ended;
    const model = await claimStage(a);
    // A round with nothing waiting for an answer ends before the workspace and before it shows
    // anything on GitHub: the pull request's labels, comments and checks stay as they were.
    if (a.run.kind === "follow_up" && (await roundItems(a.run, a.gh)).length === 0) {
      await a.release();
      return await endEmptyRound(a.gh, a.run);
    }
    const prepared = await workspaceStage(a);
    const network = openNetworkReport({
      audit: a.audit,
      allow: a.run.config.network.allow,
      show: (text, replaces) => a.show(text, replaces),
      earlier: await a.store.audit.events(a.run.id),
    });
    const setup = await setupStage(a, prepared.workspace, network);
    await restoreCheckpoint(a, prepared);
    const worked = await agentStage(a, model, prepared, setup, network);
    return await finishStage(a, prepared, worked);
  } catch (error) {
    // Awaited here, or the finally below would remove the worktree while a stop still pushes.
    return await settle(a, error);
  } finally {
    a.surface.close();
    // Settled, one way or another: a later attempt rebuilds its worktree from the checkpoint.
    await a.release();
  }
}

/**
 * A run whose log already ends it: an earlier attempt recorded `run.finished` and died before the
 * store kept the end (a worker killed while the audit log's check runs were written). It ends as
 * that event says, with the audit log published again (found and edited, never made twice), and
 * nothing else done again: no second `run.finished`, no label or comment written back. Checked
 * before the claim is recorded, so the log still ends with the event its signature covers.
 */
async function endedEarlier(a: Attempt): Promise<Run | null> {
  // A round's log is its pull request's: this run's part starts at its first claim.
  const events = await a.store.audit.events(a.run.id);
  const claimed = events.findIndex((e) => e.type === "run.claimed" && e.data.run === a.run.id);
  if (claimed < 0) return null;
  const finished = events.slice(claimed).findLast((e) => e.type === "run.finished");
  if (finished === undefined) return null;
  const { state, outcome, round } = finished.data;
  const terminal = TERMINAL_STATES.find((s) => s === state);
  if (terminal === undefined) return null;
  a.deps.log.warn(
    { runId: a.run.id, state: terminal },
    "the run's log already ends it (an attempt died after its last event): ending it so",
  );
  const ending = { state: terminal, outcome: typeof outcome === "string" ? outcome : terminal };
  await a.release();
  // A round's pull request body shows the log up to that event: brought up to date, as it ends.
  if (round === true) {
    return await closeRound({ ...a.gh, run: a.run, surface: a.surface }, ending);
  }
  await a.surface.publishAudit();
  return await a.store.runs.finish(a.run.id, ending.state, ending.outcome);
}

function settle(a: Attempt, error: unknown): Promise<Run> {
  const { deps } = a;
  return settleRun(error, {
    runId: a.run.id,
    lastKnown: a.run,
    workerId: a.workerId,
    store: a.store,
    github: a.github,
    audit: a.audit,
    say: a.surface.say,
    log: deps.log,
    dataDir: deps.dataDir,
    workspace: a.workspace,
    ...(deps.auditSigner ? { signHead: deps.auditSigner.sign } : {}),
    redactor: a.redactor,
    releaseWorkspace: () => a.release(),
    phase: a.phase,
    signal: a.control.signal,
    retry: deps.retry ?? DEFAULT_RETRY,
    clock: deps.clock ?? (() => new Date()),
    modelCredentials: deps.modelCredentials,
    onOperatorProblem: deps.onOperatorProblem,
    beforeFinish: () => a.surface.publishAudit(),
  });
}
