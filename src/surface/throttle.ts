// Writes of a changing value, at most one per interval: the latest value wins,
// a pending one is written when the interval is up (the last state is never
// lost), and writes never overlap. An immediate write (an outcome) drops what
// is pending, so a late progress write cannot overwrite it. Clock and timers
// are injected, so tests drive time.
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface Throttle<T> {
  /** Writes now if the interval is up, else keeps the value for when it is. */
  push(value: T): Promise<void>;
  /** Writes at once, after any write under way, dropping a pending value. */
  now(value: T): Promise<void>;
  /** Writes a pending value now; resolves once every write has ended. */
  flush(): Promise<void>;
  /** Drops a pending value and its timer. */
  cancel(): void;
}

export function createThrottle<T>(options: {
  intervalMs: number;
  write: (value: T) => Promise<void>;
  /** A failed write is reported here; progress never stops the run. */
  onError: (error: unknown) => void;
  timers?: Timers;
}): Throttle<T> {
  const timers = options.timers ?? REAL_TIMERS;
  let last = Number.NEGATIVE_INFINITY;
  let pending: { value: T } | undefined;
  let timer: unknown;
  let chain: Promise<void> = Promise.resolve();

  const write = (value: T): Promise<void> => {
    last = timers.now();
    chain = chain.then(() => options.write(value)).catch(options.onError);
    return chain;
  };
  const clear = () => {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
  };
  const writePending = (): Promise<void> => {
    clear();
    const next = pending;
    pending = undefined;
    return next ? write(next.value) : chain;
  };

  return {
    push(value) {
      pending = { value };
      const wait = last + options.intervalMs - timers.now();
      if (wait <= 0) return writePending();
      timer ??= timers.setTimeout(() => {
        timer = undefined;
        void writePending();
      }, wait);
      return Promise.resolve();
    },
    now(value) {
      clear();
      pending = undefined;
      return write(value);
    },
    flush: writePending,
    cancel() {
      clear();
      pending = undefined;
    },
  };
}
