// The workspace stage: the run's worktree prepared (fresh, or at the base of
// the last step checkpoint, whose diff is applied once setup has run), the
// commit it starts from, and for a review round the threads it answers.
import { applyCheckpointDiff } from "../../workspace/diff.ts";
import { currentHead } from "../../workspace/git.ts";
import { gitlinks } from "../../workspace/worktree-guard.ts";
import type { StoredCheckpoint } from "../../store/types.ts";
import { prepareRound, type Round } from "../kinds/follow-up.ts";
import { prepareWorkspace, type Workspace } from "../prepare-workspace.ts";
import { spentOf } from "../run-end.ts";
import type { Attempt } from "./attempt.ts";

export interface Prepared {
  workspace: Workspace;
  /** The last step checkpoint, when the run is resumed. */
  checkpoint: StoredCheckpoint | undefined;
  /** The commit the run's work is measured against. */
  baseSha: string;
  /** A review round's threads and task (follow-up runs only). */
  round: Round | undefined;
}

export async function workspaceStage(a: Attempt): Promise<Prepared> {
  const { store } = a;
  a.phase = a.run.branch === null ? "cloning the repository" : "restoring the workspace";
  const checkpoint = await store.checkpoints.load(a.run.id);
  if (checkpoint) a.deps.onSpent?.(spentOf(checkpoint.step, checkpoint.state));
  const prepared = await prepareWorkspace({
    run: a.run,
    store,
    github: a.github,
    audit: a.audit,
    dataDir: a.deps.dataDir,
    signal: a.control.signal,
    checkpoint,
    deferDiff: true,
  });
  a.run = prepared.run;
  a.workspace = prepared.workspace;
  const { worktree } = prepared.workspace.dirs;
  const baseSha = a.run.baseSha ?? (await currentHead(worktree));
  await sayNotCheckedOut(a, await gitlinks(worktree, a.control.signal));
  a.run = await a.surface.say({ kind: "working" });
  // A follow-up answers the review threads waiting for it (follow-up.ts).
  const round =
    a.run.kind === "follow_up"
      ? await prepareRound(a.run, a.gh, {
          worktree,
          token: prepared.workspace.token,
          signal: a.control.signal,
        })
      : undefined;
  return { workspace: prepared.workspace, checkpoint, baseSha, round };
}

/**
 * A resumed run's work since its last push (the checkpoint's diff), applied once setup has
 * run on the pushed commit's files: setup never runs, with network, on what the run has not
 * pushed (a `package.json` the agent edited).
 */
export async function restoreCheckpoint(a: Attempt, prepared: Prepared): Promise<void> {
  const { checkpoint, workspace } = prepared;
  if (checkpoint === undefined || checkpoint.diff.length === 0) return;
  const restored = await applyCheckpointDiff(
    workspace.dirs.worktree,
    checkpoint.diff,
    checkpoint.baseSha,
    a.control.signal,
  );
  await a.audit.record("workspace.restored", {
    step: checkpoint.step,
    diffBytes: checkpoint.diff.length,
    files: restored.files,
    ...(restored.resetBySetup.length > 0 ? { resetBySetup: restored.resetBySetup } : {}),
  });
}

/** Submodules stay empty folders: setup and the agent run without them, and the run says so. */
async function sayNotCheckedOut(a: Attempt, submodules: string[]): Promise<void> {
  if (submodules.length === 0) return;
  const shown = submodules.slice(0, 5).map((p) => `\`${p}\``);
  const more =
    submodules.length > shown.length ? ` and ${submodules.length - shown.length} more` : "";
  await a.notice(
    "workspace.submodules",
    `This repository has submodules (${shown.join(", ")}${more}); Stamina does not check them out, so setup, the agent and the checks saw those folders empty.`,
    { submodules },
  );
}
