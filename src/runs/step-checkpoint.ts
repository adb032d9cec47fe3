// The step checkpoint, per the contract: after every agent step, in one
// transaction, the messages the step added, the step number, the agent's
// state, the base commit (the last one pushed) and the working diff against
// it. A draining worker stops right after it (see RunControl). The diff comes
// from the run's watched working tree (workspace/working-tree.ts): a step that
// changed no file runs no git and writes no diff, the last one is kept. A step
// that ran on a full disk is not kept: the run waits for space (disk-room.ts).
import type { StepCheckpoint } from "../agent/ports.ts";
import { ensureDiskRoom } from "../workspace/disk-room.ts";
import { DiffTooLarge, type WorkingTree } from "../workspace/working-tree.ts";
import { RunFailure } from "./failure.ts";
import type { RunControl } from "./run-control.ts";
import type { Store } from "../store/store.ts";

/** A working diff past this cannot be checkpointed (the database holds it whole). */
const MAX_CHECKPOINT_DIFF_BYTES = 256 * 1024 * 1024;

export function createStepCheckpointer(deps: {
  store: Store;
  runId: string;
  workerId: string;
  /** The run's working tree, shared with the session (its diffs and the watchdog's). */
  tree: WorkingTree;
  control: RunControl;
  /** The largest working diff checkpointed (default 256 MB). */
  maxDiffBytes?: number;
  /** The worktree: a step that ran while its disk was full is not checkpointed (disk-room.ts). */
  worktree?: string;
}): (checkpoint: StepCheckpoint) => Promise<void> {
  /** What the last checkpoint of this process wrote: its base, and the working tree's version. */
  let written: { baseSha: string; version: number } | null = null;
  return async ({ step, added, state }) => {
    if (deps.worktree !== undefined) await ensureDiskRoom(deps.worktree);
    const run = await deps.store.runs.mustGet(deps.runId);
    const baseSha = run.headSha ?? run.baseSha;
    if (baseSha === null) throw new Error(`run ${run.id} has no base commit to checkpoint against`);
    let version = await deps.tree.current();
    let diff: Buffer | null = null;
    if (written?.baseSha !== baseSha || written.version !== version) {
      ({ version, bytes: diff } = await diffOf(deps.tree, baseSha, deps.maxDiffBytes));
    }
    await deps.store.checkpoints.save(run.id, deps.workerId, { step, added, state, baseSha, diff });
    written = { baseSha, version };
    deps.control.afterCheckpoint();
  };
}

async function diffOf(
  tree: WorkingTree,
  baseSha: string,
  maxBytes = MAX_CHECKPOINT_DIFF_BYTES,
): Promise<{ version: number; bytes: Buffer }> {
  try {
    return await tree.diffBytes(baseSha, { maxBytes });
  } catch (error) {
    if (!(error instanceof DiffTooLarge)) throw error;
    throw new RunFailure(
      `the changes in the working tree grew past ${megabytes(maxBytes)} (untracked build output?), too large to checkpoint. Add such files to \`.gitignore\`.`,
    );
  }
}

function megabytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MB` : `${bytes} bytes`;
}
