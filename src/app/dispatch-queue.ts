// Handlers of acknowledged deliveries, run a few at a time. A burst of
// webhooks is acknowledged at once (each delivery is stored first); its
// handlers (GitHub calls, store writes) follow at a steady pace instead of
// all together, which would crowd the event loop and slow every next 202.
export class DispatchQueue {
  private running = 0;
  private readonly waiting: Array<() => Promise<void>> = [];

  constructor(
    private readonly limit: number,
    private readonly onError: (error: unknown) => void,
  ) {}

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
    while (this.running < this.limit && this.waiting.length > 0) {
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
