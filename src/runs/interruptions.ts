// Why a worker interrupts a run that is not finished: its process is shutting
// down (the run goes back to the queue for any worker), or a person asked it
// to stop. (A lost lease, `LeaseLost`, is the store's: src/store/leases.ts.)

export class ShutdownRequested extends Error {
  constructor() {
    super("the worker is shutting down");
    this.name = "ShutdownRequested";
  }
}

/** Someone asked the run to stop: the work so far is pushed and the run ends, cancelled. */
export class CancelRequested extends Error {
  constructor(
    /** Who asked, as the tracking comment names them ("@octocat"). */
    readonly by: string,
    /** What they did, in words ("removed the `stamina` label"). */
    readonly reason: string,
  ) {
    super(`${by} stopped the run (${reason})`);
    this.name = "CancelRequested";
  }
}
