// The worker: claims queued runs with a lease, keeps the lease alive with a
// heartbeat while it works, and runs up to `concurrency` of them at once.
import type { Logger } from "../observability/logger.ts";
import { LeaseLost, ShutdownRequested } from "./interruptions.ts";
import type { Store } from "./store.ts";
import type { Run } from "./types.ts";

export interface WorkerOptions {
  store: Store;
  workerId: string;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  log: Logger;
  execute: (run: Run, signal: AbortSignal) => Promise<unknown>;
}

export class Worker {
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private polling = false;

  constructor(private readonly options: WorkerOptions) {}

  start(): void {
    this.options.log.info({ workerId: this.options.workerId }, "worker started");
    this.schedule(0);
  }

  /** Looks for work now rather than at the next poll (a run was just queued). */
  wake(): void {
    if (!this.stopping) this.schedule(0);
  }

  /** Stops claiming, hands what runs back to the queue, and waits for that to finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    for (const { controller } of this.active.values()) controller.abort(new ShutdownRequested());
    await Promise.all([...this.active.values()].map((a) => a.done));
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), delayMs);
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopping) return;
    this.polling = true;
    try {
      while (!this.stopping && this.active.size < this.options.concurrency) {
        const run = await this.options.store.claimNextRun(
          this.options.workerId,
          this.options.leaseMs,
        );
        if (!run) break;
        this.launch(run);
      }
    } catch (error) {
      this.options.log.error({ err: error }, "could not claim a run");
    } finally {
      this.polling = false;
      if (!this.stopping) this.schedule(this.options.pollMs);
    }
  }

  private launch(run: Run): void {
    const { store, workerId, leaseMs, log } = this.options;
    const controller = new AbortController();
    const heartbeat = setInterval(
      () => {
        store.heartbeat(run.id, workerId, leaseMs).then(
          (held) => {
            if (!held) controller.abort(new LeaseLost());
          },
          (error: unknown) => log.warn({ err: error, runId: run.id }, "heartbeat failed"),
        );
      },
      Math.max(1_000, Math.floor(leaseMs / 3)),
    );
    log.info(
      { runId: run.id, issue: `${run.owner}/${run.repo}#${run.issueNumber}` },
      "run claimed",
    );
    const done = this.options
      .execute(run, controller.signal)
      .catch((error: unknown) => log.error({ err: error, runId: run.id }, "run crashed"))
      .finally(() => {
        clearInterval(heartbeat);
        this.active.delete(run.id);
        this.wake();
      })
      .then(() => undefined);
    this.active.set(run.id, { controller, done });
  }
}
