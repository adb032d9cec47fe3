// How a run is told to stop. The worker's signal aborts at once (a cancel, a
// lost lease, the end of the shutdown grace); its drain signal asks the run to
// stop at the next safe point instead: right away outside the agent's loop
// (everything there is redone on resume), or after the current step's
// checkpoint inside it, so no step is lost.
import { ShutdownRequested } from "./interruptions.ts";

export class RunControl {
  private readonly controller = new AbortController();
  private inAgent = false;
  private draining = false;

  constructor(outer: AbortSignal, drain?: AbortSignal) {
    follow(outer, () => this.controller.abort(outer.reason));
    if (drain) {
      follow(drain, () => {
        this.draining = true;
        if (!this.inAgent) this.controller.abort(new ShutdownRequested());
      });
    }
  }

  /** Aborted when the run must stop now; its reason says why. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  enterAgent(): void {
    this.inAgent = true;
  }

  leaveAgent(): void {
    this.inAgent = false;
    if (this.draining) this.controller.abort(new ShutdownRequested());
  }

  /** Called once a step's checkpoint is stored: a draining run stops here. */
  afterCheckpoint(): void {
    if (this.draining) throw new ShutdownRequested();
  }
}

function follow(signal: AbortSignal, then: () => void): void {
  if (signal.aborted) then();
  else signal.addEventListener("abort", then, { once: true });
}
