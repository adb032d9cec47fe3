// What the run pages are given: the store they read (the worker writes it, perhaps from
// another process or machine), the gate, the log and the clock.
import type { Logger } from "../observability/logger.ts";
import type { Store } from "../store/store.ts";
import type { PageGate } from "./gate.ts";

export interface PagesDeps {
  store: Pick<Store, "runs" | "audit" | "checkpoints">;
  gate: PageGate;
  log: Logger;
  now: () => number;
  /** How often a live page's stream asks the store for new events (default 250 ms). */
  pollMs?: number;
}
