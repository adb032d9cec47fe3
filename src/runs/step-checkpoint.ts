// The step checkpoint, per the contract: after every agent step, in one
// transaction, the messages the step added, the step number, the agent's
// state, the base commit (the last one pushed) and the working diff against
// it. A draining worker stops right after it (see RunControl).
import type { AuditSink, StepCheckpoint } from "../agent/ports.ts";
import { workingDiffBytes } from "../workspace/diff.ts";
import { RunFailure } from "./failure.ts";
import type { WhileFrozen } from "./frozen.ts";
import { recordLeftOut } from "./left-out.ts";
import type { RunControl } from "./run-control.ts";
import type { Store } from "../store/store.ts";

/** A working diff past this cannot be checkpointed (the database holds it whole). */
const MAX_CHECKPOINT_DIFF_BYTES = 256 * 1024 * 1024;

export function createStepCheckpointer(deps: {
  store: Store;
  runId: string;
  workerId: string;
  worktree: string;
  control: RunControl;
  audit: AuditSink;
  /** The run's processes stopped while git reads the worktree (frozen.ts). */
  frozen: WhileFrozen;
}): (checkpoint: StepCheckpoint) => Promise<void> {
  const onLeftOut = recordLeftOut(deps.audit);
  return async ({ step, added, state }) => {
    const run = await deps.store.runs.mustGet(deps.runId);
    const baseSha = run.headSha ?? run.baseSha;
    if (baseSha === null) throw new Error(`run ${run.id} has no base commit to checkpoint against`);
    const diff = await deps.frozen(() => workingDiffBytes(deps.worktree, baseSha, { onLeftOut }));
    if (diff.length > MAX_CHECKPOINT_DIFF_BYTES) {
      throw new RunFailure(
        `the changes in the working tree grew past ${MAX_CHECKPOINT_DIFF_BYTES / 1024 / 1024} MB (untracked build output?), too large to checkpoint. Add such files to \`.gitignore\`.`,
      );
    }
    await deps.store.checkpoints.save(run.id, deps.workerId, { step, added, state, baseSha, diff });
    deps.control.afterCheckpoint();
  };
}
