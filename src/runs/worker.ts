// The worker: claims runs with a lease (within the global and per-installation
// caps), keeps each lease alive with a heartbeat, runs up to `concurrency` of
// them at once, passes on stop requests, and on shutdown lets each run finish
// its current step and checkpoint before handing it back to the queue.
import type { Metrics } from "../observability/metrics.ts";
import type { Logger } from "../observability/logger.ts";
import type { ClaimLimits } from "../store/claim.ts";
import { CancelRequested, ShutdownRequested } from "./interruptions.ts";
import { LeaseLost } from "../store/leases.ts";
import type { Store } from "../store/store.ts";
import type { OperatorProblem } from "./operator-settings.ts";
import { OPERATOR_RECHECK_MS } from "./settle-run.ts";
import type { Run } from "../store/types.ts";

export interface WorkerOptions {
  store: Store;
  /** The process's metrics: queue wait and lease takeovers. */
  metrics?: Pick<Metrics, "claimed">;
  workerId: string;
  concurrency: number;
  limits?: ClaimLimits;
  leaseMs: number;
  pollMs: number;
  log: Logger;
  /**
   * `signal` stops the run at once; `drain` asks it to stop after its current step. `log` is the
   * run's logger, to write the run's lines with instead of the worker's.
   */
  execute: (run: Run, signal: AbortSignal, drain: AbortSignal, log: Logger) => Promise<unknown>;
}

/** Whether a worker takes work, for its readiness: only `claiming` is ready. */
export type WorkerClaims =
  | { state: "claiming"; load: number; concurrency: number }
  | { state: "not-started" }
  | { state: "stopping" }
  | { state: "held"; problem: OperatorProblem; until: Date }
  | { state: "failing"; error: string };

interface ActiveRun {
  controller: AbortController;
  drain: AbortController;
  done: Promise<void>;
  log: Logger;
}

/** What every log line of a run carries, from its claim on: which run, asked by which delivery, where. */
function runLogger(log: Logger, run: Run): Logger {
  return log.child({
    runId: run.id,
    deliveryId: run.deliveryId,
    installationId: run.installationId,
    repository: `${run.owner}/${run.repo}`,
  });
}

export class Worker {
  private readonly active = new Map<string, ActiveRun>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private polling = false;
  private started = false;
  /** No claim before this (ms): the operators' settings stopped a run. */
  private heldUntil = 0;
  /** What stopped the claims until heldUntil. */
  private heldFor: OperatorProblem | undefined;
  /** Why the last look for work failed; undefined once one succeeds. */
  private claimError: string | undefined;
  /** Settings the operators were told of at error level, once each. */
  private readonly told = new Set<string>();

  constructor(private readonly options: WorkerOptions) {}

  start(): void {
    this.started = true;
    this.options.log.info({ workerId: this.options.workerId }, "worker started");
    this.schedule(0);
  }

  /** Looks for work (and stop requests) now rather than at the next poll. */
  wake(): void {
    if (!this.stopping) this.schedule(0);
  }

  /** How many runs this worker holds now. */
  get load(): number {
    return this.active.size;
  }

  /** Whether this worker takes work now, and if not, why. */
  get claims(): WorkerClaims {
    if (!this.started) return { state: "not-started" };
    if (this.stopping) return { state: "stopping" };
    if (this.heldFor !== undefined && Date.now() < this.heldUntil) {
      return { state: "held", problem: this.heldFor, until: new Date(this.heldUntil) };
    }
    if (this.claimError !== undefined) return { state: "failing", error: this.claimError };
    return { state: "claiming", load: this.active.size, concurrency: this.options.concurrency };
  }

  /**
   * Stops claiming; each run finishes its current step, checkpoints and goes back to the queue.
   * Runs still going after `graceMs` are aborted (their current step runs again on resume).
   */
  async stop(graceMs = 0): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    for (const { drain } of this.active.values()) drain.abort(new ShutdownRequested());
    const all = Promise.all([...this.active.values()].map((a) => a.done));
    let grace: NodeJS.Timeout | undefined;
    const expired = new Promise<"expired">((resolve) => {
      grace = setTimeout(() => resolve("expired"), graceMs);
    });
    const first = await Promise.race([all.then(() => "done" as const), expired]);
    clearTimeout(grace);
    if (first === "expired") {
      this.options.log.warn({ runs: this.active.size }, "shutdown grace over; stopping runs now");
      for (const { controller } of this.active.values()) {
        controller.abort(new ShutdownRequested());
      }
      await all;
    }
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), delayMs);
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopping) return;
    this.polling = true;
    try {
      await this.passOnStopRequests();
      while (
        !this.stopping &&
        Date.now() >= this.heldUntil &&
        this.active.size < this.options.concurrency
      ) {
        let takeover = false;
        const run = await this.options.store.leases.claimNext(
          this.options.workerId,
          this.options.leaseMs,
          this.options.limits,
          (taken) => (takeover = taken),
          [...this.active.keys()],
        );
        if (!run) break;
        // A first claim waited since the run was queued (a later one, since its retry time).
        const waited = run.attempts === 1 ? (Date.now() - Date.parse(run.createdAt)) / 1000 : 0;
        this.options.metrics?.claimed(waited, takeover);
        this.launch(run);
      }
      this.claimError = undefined;
    } catch (error) {
      this.claimError = error instanceof Error ? error.message : String(error);
      this.options.log.error({ err: error }, "could not claim a run");
    } finally {
      this.polling = false;
      if (!this.stopping) this.schedule(this.options.pollMs);
    }
  }

  /**
   * The operators' settings stopped a run (a key the model refused): this worker claims
   * nothing for `ms`, so other runs are not taken up only to meet the same refusal, and the
   * operators are told once at error level what to fix.
   */
  holdClaims(problem: OperatorProblem, ms = OPERATOR_RECHECK_MS): void {
    this.heldUntil = Math.max(this.heldUntil, Date.now() + ms);
    this.heldFor = problem;
    const fields = { setting: problem.setting, until: new Date(this.heldUntil) };
    if (this.told.has(problem.setting)) {
      this.options.log.warn(fields, `no run claimed until ${problem.setting} works`);
      return;
    }
    this.told.add(problem.setting);
    this.options.log.error(
      fields,
      `${problem.problem}. Runs are kept in the queue, not failed: ${problem.remedy ?? `fix ${problem.setting}, check it with \`stamina doctor\`, and restart Stamina`}; until then this worker tries again every ${every(ms)}`,
    );
  }

  /** A run someone asked to stop (on any process) is aborted here, where it runs. */
  private async passOnStopRequests(): Promise<void> {
    if (this.active.size === 0) return;
    for (const run of await this.options.store.cancels.requested(this.options.workerId)) {
      const active = this.active.get(run.id);
      if (!active || active.controller.signal.aborted) continue;
      active.log.info({ by: run.cancelRequestedBy }, "stopping a run");
      active.controller.abort(
        new CancelRequested(
          run.cancelRequestedBy ?? "someone",
          run.cancelReason ?? "asked to stop",
        ),
      );
    }
  }

  private launch(run: Run): void {
    const { store, workerId, leaseMs } = this.options;
    const log = runLogger(this.options.log, run);
    const controller = new AbortController();
    const drain = new AbortController();
    const heartbeat = setInterval(
      () => {
        store.leases.heartbeat(run.id, workerId, leaseMs).then(
          (held) => {
            if (!held) controller.abort(new LeaseLost());
          },
          (error: unknown) => log.warn({ err: error }, "heartbeat failed"),
        );
      },
      Math.max(500, Math.floor(leaseMs / 3)),
    );
    log.info({ issue: run.issueNumber, attempt: run.attempts, workerId }, "run claimed");
    const done = this.options
      .execute(run, controller.signal, drain.signal, log)
      .catch((error: unknown) => log.error({ err: error }, "run crashed"))
      .finally(() => {
        clearInterval(heartbeat);
        this.active.delete(run.id);
        this.wake();
      })
      .then(() => undefined);
    this.active.set(run.id, { controller, drain, done, log });
  }
}

/** A wait in words: "30 s", "10 min". */
function every(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}
