// A worker never claims again a run it is still carrying out: when its own lease looks expired (a
// heartbeat held up on a busy machine, the host's clock stepped forward), the run is still its
// own, and claiming it again would run it twice in one process, two attempts on one worktree.
// Found by the fault suite (test/faults): a 529 storm with the clock moving ran step 1 twice.
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Worker } from "../../src/runs/worker.ts";
import { startHarness, type Harness } from "../support/run-harness.ts";
import { waitFor } from "../support/webhooks.ts";

const LEASE_MS = 60_000;
let h: Harness;
beforeEach(async () => {
  h = await startHarness({ "a.txt": "one\n" });
});
afterEach(() => h.close());

describe("a worker whose own lease looks expired", () => {
  it("does not claim the run it is carrying out a second time", async () => {
    const first = await h.queue({}, 1);
    const executions: string[] = [];
    const released: Array<() => void> = [];
    const worker = new Worker({
      store: h.store,
      workerId: "worker-1",
      concurrency: 3,
      leaseMs: LEASE_MS,
      pollMs: 10,
      log: pino({ level: "silent" }),
      // Each run waits until the test lets it end, as a long step does.
      execute: (run) => {
        executions.push(run.id);
        return new Promise<void>((resolve) => released.push(resolve));
      },
    });
    worker.start();
    try {
      await waitFor(() => (executions.length === 1 ? true : undefined), "the first claim");
      // The store's clock passes the lease before any heartbeat renews it.
      h.tick(LEASE_MS * 2);
      // A later run: claims go oldest first, so once this one is claimed the expired one was
      // looked at already.
      const second = await h.queue({}, 2);
      await waitFor(() => (executions.includes(second.id) ? true : undefined), "the second claim");
      expect(executions.filter((id) => id === first.id)).toHaveLength(1);
    } finally {
      for (const release of released) release();
      await worker.stop();
    }
  });
});
