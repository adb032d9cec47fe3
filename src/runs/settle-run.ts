// How a run that did not reach its pull request ends this attempt: handed
// back to the queue (its worker shuts down), left alone (another worker owns
// it now), stopped with its work pushed (someone asked), retried later (a
// failure that was not the agent's: GitHub, the model, the network), or
// failed with a reason the maintainer can act on.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { asFailure, RunFailure } from "./failure.ts";
import { CancelRequested, ShutdownRequested } from "./interruptions.ts";
import { LeaseLost } from "../store/leases.ts";
import { stopRun, type StopContext } from "./stop-run.ts";
import { retryDelayMs, transientCause, type RetrySchedule } from "./transient.ts";
import { operatorProblem, type OperatorProblem } from "./operator-settings.ts";
import type { Run } from "../store/types.ts";

export const DEFAULT_RETRY: RetrySchedule = { limit: 5, baseMs: 30_000, maxMs: 30 * 60_000 };

/** How long a run kept for the operators' settings waits before it is tried again. */
export const OPERATOR_RECHECK_MS = 10 * 60_000;

export interface SettleContext extends StopContext {
  /** The run as this attempt last saw it, for a run that no longer exists. */
  lastKnown: Run;
  workerId: string | null;
  /** Where the run was, for the failure message. */
  phase: string;
  /** The run's signal: its reason says why it was interrupted. */
  signal: AbortSignal;
  retry: RetrySchedule;
  clock: () => Date;
  random?: () => number;
  /** The model's credential settings, as a refused key names them. */
  modelCredentials?: string;
  /** Told when the run is kept for the operators' settings: tried again in `ms`. */
  onOperatorProblem?: (problem: OperatorProblem, ms: number) => void;
}

type Interruption = LeaseLost | ShutdownRequested | CancelRequested;

function interruption(error: unknown, signal: AbortSignal): Interruption | undefined {
  const ours = (e: unknown): e is Interruption =>
    e instanceof LeaseLost || e instanceof ShutdownRequested || e instanceof CancelRequested;
  if (signal.aborted && ours(signal.reason)) return signal.reason;
  return ours(error) ? error : undefined;
}

export async function settleRun(error: unknown, ctx: SettleContext): Promise<Run> {
  const { store, log, runId } = ctx;
  const why = interruption(error, ctx.signal);
  if (why instanceof LeaseLost) return leaveAlone(ctx);
  if (why instanceof ShutdownRequested && ctx.workerId !== null) {
    try {
      await ctx.audit.record("run.released", { reason: "the worker shut down", phase: ctx.phase });
    } catch (e) {
      if (e instanceof LeaseLost) return leaveAlone(ctx);
      throw e;
    }
    // Said before the release: once released, another worker may claim it and say "working".
    await ctx
      .say({ kind: "requeued" })
      .catch((e: unknown) => log.warn({ err: e }, "could not update the tracking comment"));
    await ctx.releaseWorkspace?.();
    await store.leases.release(runId, ctx.workerId);
    log.info("run handed back to the queue");
    return store.runs.mustGet(runId);
  }
  if (why instanceof CancelRequested) return stopRun(ctx, why);

  const problem = operatorProblem(error, ctx.modelCredentials);
  if (problem !== null && ctx.workerId !== null) return keepForOperators(ctx, problem, error);

  const run = await store.runs.mustGet(runId);
  const cause = transientCause(error);
  if (cause !== null && ctx.workerId !== null && run.retries < ctx.retry.limit) {
    const retry = run.retries + 1;
    const at = new Date(ctx.clock().getTime() + retryDelayMs(ctx.retry, retry, ctx.random));
    log.warn({ err: error, retry, at }, "transient failure; the run will be retried");
    await ctx.audit.record("run.retry_scheduled", {
      cause,
      phase: ctx.phase,
      retry,
      limit: ctx.retry.limit,
      at: at.toISOString(),
    });
    await ctx
      .say({ kind: "retrying", cause, retry, limit: ctx.retry.limit, at })
      .catch((e: unknown) => log.warn({ err: e }, "could not update the tracking comment"));
    await ctx.releaseWorkspace?.();
    await store.leases.release(runId, ctx.workerId, { notBefore: at, retry: true });
    return store.runs.mustGet(runId);
  }

  const failure =
    cause !== null
      ? new RunFailure(
          `${cause} while ${ctx.phase}, and it still failed after ${run.retries} retries. This was not a problem with the change; add the label again to start over.`,
        )
      : asFailure(error, ctx.phase, runId);
  log.error({ err: error }, "run failed");
  // Said before the log ends the run: an attempt that finds `run.finished` does not say it again.
  await ctx
    .say({ kind: "failed", reason: failure.message })
    .catch((e: unknown) => log.error({ err: e }, "could not update the tracking comment"));
  await ctx.audit
    .record("run.finished", { state: failure.state, outcome: failure.message })
    .catch((e: unknown) => log.error({ err: e }, "could not record the end of the run"));
  await ctx.beforeFinish?.();
  await ctx.releaseWorkspace?.();
  return store.runs.finish(runId, failure.state, failure.message);
}

/**
 * The operators' settings stopped the run (the model refused the key, GitHub the app's): it is
 * neither failed nor counted as a retry. It goes back to the queue to be tried again later,
 * the issue says why, and the worker is told (it stops claiming for a while).
 */
async function keepForOperators(
  ctx: SettleContext,
  problem: OperatorProblem,
  error: unknown,
): Promise<Run> {
  const { store, log, runId } = ctx;
  const wait = problem.passing ? ctx.retry.baseMs : OPERATOR_RECHECK_MS;
  const at = new Date(ctx.clock().getTime() + wait);
  log.warn(
    { err: error, runId, setting: problem.setting, at },
    `run kept in the queue: ${problem.problem}`,
  );
  ctx.onOperatorProblem?.(problem, wait);
  await ctx.audit.record("run.released", {
    reason: `the operators' settings: ${problem.problem}`,
    phase: ctx.phase,
  });
  await ctx
    .say({ kind: "held", problem: problem.problem, at })
    .catch((e: unknown) => log.warn({ err: e }, "could not update the tracking comment"));
  await ctx.releaseWorkspace?.();
  await store.leases.release(runId, ctx.workerId ?? "", { notBefore: at });
  return store.runs.mustGet(runId);
}

/** Another worker owns the run now (or it was purged): this one touches nothing of it. */
async function leaveAlone(ctx: SettleContext): Promise<Run> {
  const run = await ctx.store.runs.get(ctx.runId);
  if (!run) {
    // Purged (the installation was deleted): nothing of it may stay on this machine either.
    await rm(join(ctx.dataDir, "runs", ctx.runId), { recursive: true, force: true });
    ctx.log.warn(
      { runId: ctx.runId },
      "the run was deleted while it worked; its files are removed",
    );
    return ctx.lastKnown;
  }
  ctx.log.warn(
    { runId: ctx.runId },
    "lease lost: another worker owns the run now; leaving it alone",
  );
  return run;
}
