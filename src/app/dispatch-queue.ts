// Handlers of acknowledged deliveries, run a few at a time. A burst of
// webhooks is acknowledged at once (each delivery is stored first); its
// handlers (GitHub calls, store writes) follow at a steady pace instead of
// all together, which would crowd the event loop and slow every next 202.
// While deliveries are still being taken in, one handler runs at a time:
// acknowledging comes first, and the handlers never stop altogether.
export class DispatchQueue {
  private running = 0;
  private readonly waiting: Array<() => Promise<void>> = [];
  private intake = 0;

  constructor(
    private readonly limit: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** A delivery is being taken in: handlers make room until it is answered. */
  takingIn(): () => void {
    this.intake++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.intake--;
      this.next();
    };
  }

  /** Runs `task` when fewer than `limit` tasks run; never in the caller's turn of the loop. */
  push(task: () => Promise<void>): void {
    this.waiting.push(task);
    this.next();
  }

  /** Deliveries waiting or being handled. */
  get size(): number {
    return this.running + this.waiting.length;
  }

  private next(): void {
    const limit = this.intake > 0 ? 1 : this.limit;
    while (this.running < limit && this.waiting.length > 0) {
      const task = this.waiting.shift()!;
      this.running++;
      setImmediate(() => {
        task()
          .catch(this.onError)
          .finally(() => {
            this.running--;
            this.next();
          });
      });
    }
  }
}
