// What the webhook handlers and commands are given: the store, the GitHub
// clients, the log, and who to tell when a run is queued or asked to stop.
import type { GitHubClients } from "../github/client.ts";
import type { Logger } from "../observability/logger.ts";
import type { Store } from "../store/store.ts";
import type { Run } from "../store/types.ts";
import type { OperatorLimits } from "../runs/spend-limits.ts";
import type { CancelDependencies } from "./cancel.ts";

export interface HandlerDependencies extends CancelDependencies {
  store: Store;
  clients: GitHubClients;
  log: Logger;
  /** The operator's limits: `/stamina retry` is refused once one is used up. */
  limits?: OperatorLimits;
  /** Told when a run was queued, so an in-process worker can claim it at once. */
  onRunQueued?: (run: Run) => void;
}
