// Why a worker interrupts a run that is not finished: its process is shutting
// down (the run goes back to the queue for any worker), or it lost the lease
// (another worker owns the run now, so this one must touch nothing).

export class ShutdownRequested extends Error {
  constructor() {
    super("the worker is shutting down");
    this.name = "ShutdownRequested";
  }
}

export class LeaseLost extends Error {
  constructor() {
    super("the worker lost the run's lease");
    this.name = "LeaseLost";
  }
}
