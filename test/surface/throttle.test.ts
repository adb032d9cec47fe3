// Progress writes, throttled on an injected clock: at most one per interval,
// the latest value written when the interval is up, an outcome never
// overwritten by a late progress write.
import { describe, expect, it } from "vitest";
import { createThrottle, type Timers } from "../../src/surface/throttle.ts";

function manualTimers() {
  let now = 0;
  let due: Array<{ at: number; fn: () => void; id: number }> = [];
  let ids = 0;
  const timers: Timers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      due.push({ at: now + ms, fn, id: ++ids });
      return ids;
    },
    clearTimeout: (id) => {
      due = due.filter((d) => d.id !== id);
    },
  };
  return {
    timers,
    async advance(ms: number) {
      now += ms;
      const ready = due.filter((d) => d.at <= now);
      due = due.filter((d) => d.at > now);
      for (const d of ready) d.fn();
      await new Promise((r) => setImmediate(r));
    },
    pendingTimers: () => due.length,
  };
}

describe("a throttle", () => {
  it("writes the first value at once, then the latest at most once per interval", async () => {
    const clock = manualTimers();
    const written: number[] = [];
    const t = createThrottle<number>({
      intervalMs: 5_000,
      write: (v) => Promise.resolve(void written.push(v)),
      onError: (e) => {
        throw e;
      },
      timers: clock.timers,
    });
    await t.push(1);
    await t.push(2);
    await t.push(3);
    expect(written).toEqual([1]);
    await clock.advance(4_999);
    expect(written).toEqual([1]);
    await clock.advance(1);
    expect(written).toEqual([1, 3]);
    await t.push(4);
    await clock.advance(5_000);
    await t.flush();
    expect(written).toEqual([1, 3, 4]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("lets an outcome drop pending progress, so nothing overwrites it", async () => {
    const clock = manualTimers();
    const written: string[] = [];
    const t = createThrottle<string>({
      intervalMs: 5_000,
      write: (v) => Promise.resolve(void written.push(v)),
      onError: () => undefined,
      timers: clock.timers,
    });
    await t.push("working 1");
    await t.push("working 2");
    await t.now("done");
    await clock.advance(10_000);
    await t.flush();
    expect(written).toEqual(["working 1", "done"]);
  });

  it("reports a failed write and goes on with the next", async () => {
    const clock = manualTimers();
    const errors: unknown[] = [];
    const written: number[] = [];
    const t = createThrottle<number>({
      intervalMs: 0,
      write: (v) => {
        if (v === 1) return Promise.reject(new Error("GitHub said 502"));
        written.push(v);
        return Promise.resolve();
      },
      onError: (e) => errors.push(e),
      timers: clock.timers,
    });
    await t.push(1);
    await t.push(2);
    expect(written).toEqual([2]);
    expect(errors).toHaveLength(1);
  });
});
