// The store contract: what every engine behind the Store must do, run against
// real SQLite (store.sqlite.test.ts) and the real PostgreSQL
// (store.postgres.test.ts), one part per record store (contract/).
import { approvalsContract } from "./contract/approvals.ts";
import { auditContract } from "./contract/audit.ts";
import { cancelsContract } from "./contract/cancels.ts";
import { checkpointsContract } from "./contract/checkpoints.ts";
import { deliveriesContract } from "./contract/deliveries.ts";
import { installationsContract } from "./contract/installations.ts";
import { memoryContract } from "./contract/memory.ts";
import { pausesContract } from "./contract/pauses.ts";
import { pullsContract } from "./contract/pulls.ts";
import { redeliveryRequestsContract } from "./contract/redelivery-requests.ts";
import { rollbacksContract } from "./contract/rollbacks.ts";
import { runsContract } from "./contract/runs.ts";
import { spendContract } from "./contract/spend.ts";
import type { StoreFactory } from "./contract/world.ts";

export type { StoreFactory } from "./contract/world.ts";

export function storeContract(engine: string, factory: StoreFactory): void {
  for (const part of [
    deliveriesContract,
    runsContract,
    pausesContract,
    cancelsContract,
    pullsContract,
    checkpointsContract,
    auditContract,
    memoryContract,
    approvalsContract,
    installationsContract,
    rollbacksContract,
    redeliveryRequestsContract,
    spendContract,
  ]) {
    part(engine, factory);
  }
}
