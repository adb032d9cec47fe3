// A clock for the model's retry waits that moves only when slept on: a test rides out minutes of
// overload in no real time, and sees every wait that was asked for.
import type { RetryClock } from "../../src/model/retry.ts";

export interface TestClock extends RetryClock {
  /** Every wait asked for, in order. */
  waits: number[];
  /** Moves the clock on by hand (time spent in a request, say). */
  advance(ms: number): void;
}

/** Starts at `start`; `sleep` advances it at once, or rejects if the signal has aborted. */
export function testClock(start = Date.UTC(2026, 10, 1)): TestClock {
  let now = start;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    advance(ms) {
      now += ms;
    },
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason as Error);
      waits.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

/** A clock whose sleeps never end unless aborted: for a wait that must be cut short. */
export function stuckClock(start = Date.UTC(2026, 10, 1)): TestClock {
  const clock = testClock(start);
  return {
    ...clock,
    sleep(ms, signal) {
      clock.waits.push(ms);
      return new Promise((_, reject) => {
        if (signal?.aborted) return reject(signal.reason as Error);
        signal?.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
      });
    },
  };
}
