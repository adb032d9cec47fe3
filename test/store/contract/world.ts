// What every part of the store contract starts from: a fresh database on the
// engine under test for each test, a store opened on it with a clock the test
// moves, and the runs the tests queue.
import { afterEach, beforeEach } from "vitest";
import { createRedactor } from "../../../src/observability/redact.ts";
import { parseRepoConfig } from "../../../src/policy/config.ts";
import type { Store } from "../../../src/store/store.ts";
import type { NewRun, Run } from "../../../src/store/types.ts";

/** Opens a store on the engine's database; every call of one test reaches the same data. */
export interface StoreFactory {
  /** A fresh, empty database for one test. */
  create(): Promise<void>;
  open(options: { clock: () => Date; redactor: ReturnType<typeof createRedactor> }): Promise<Store>;
  destroy(): Promise<void>;
  /**
   * Whether a second connection may run beside the first in this process. SQLite's lock wait
   * blocks the thread, so two connections in one thread would wait on each other; its
   * cross-process behaviour is held by the tests that run several processes.
   */
  concurrentConnections: boolean;
}

export const LEASE = 60_000;

export interface StoreWorld {
  readonly factory: StoreFactory;
  /** The test's store (a new one after `reopen`). */
  store: Store;
  /** The store's clock. */
  now: Date;
  tick(ms: number): void;
  /** Another store on the same database (another process, as far as the engine is concerned). */
  open(): Promise<Store>;
  /** Closes the test's store and opens it again, as a restarted process does. */
  reopen(): Promise<void>;
  /** A run's input on issue `issueNumber`, with a delivery id of its own. */
  newRun(issueNumber?: number, installationId?: number): NewRun;
  /** Queues the run, expecting the issue to have none, and moves the clock (claims go oldest first). */
  created(input: NewRun): Promise<Run>;
}

/** Registers the set-up and tear-down of each test in the current `describe`. */
export function storeWorld(factory: StoreFactory): StoreWorld {
  const opened: Store[] = [];
  let deliveries = 0;
  const w: StoreWorld = {
    factory,
    store: undefined as unknown as Store,
    now: new Date(0),
    tick: (ms) => {
      w.now = new Date(w.now.getTime() + ms);
    },
    open: async () => {
      const s = await factory.open({
        clock: () => w.now,
        redactor: createRedactor(["super-secret-value"]),
      });
      opened.push(s);
      return s;
    },
    reopen: async () => {
      await w.store.close();
      opened.splice(opened.indexOf(w.store), 1);
      w.store = await w.open();
    },
    newRun: (issueNumber = 1, installationId = 7) => ({
      installationId,
      owner: "octo",
      repo: "demo",
      issueNumber,
      issueTitle: "Fix it",
      issueBody: "Please",
      requestedBy: "maintainer",
      deliveryId: `d-${issueNumber}-${++deliveries}`,
      config: parseRepoConfig({}),
    }),
    created: async (input) => {
      const result = await w.store.runs.create(input);
      if (!result.created) throw new Error("expected a new run");
      w.tick(1);
      return result.run;
    },
  };
  beforeEach(async () => {
    w.now = new Date("2026-11-21T10:00:00Z");
    await factory.create();
    w.store = await w.open();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await factory.destroy();
  });
  return w;
}
