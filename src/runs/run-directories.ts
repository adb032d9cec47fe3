// The run's own folder, outside the worktree: never committed, never pushed.
// HOME and TMPDIR of its commands, and the full output of truncated commands.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

export interface RunDirectories {
  worktree: string;
  home: string;
  tmp: string;
  outputs: string;
  /** The progress file the context manager keeps (read first by a resumed run). */
  progress: string;
}

export async function runDirectories(
  dataDir: string,
  runId: string,
  attempt: number,
): Promise<RunDirectories> {
  const root = attemptRoot(dataDir, runId, attempt);
  const dirs = {
    worktree: join(root, "worktree"),
    home: join(root, "home"),
    tmp: join(root, "tmp"),
    outputs: join(root, "outputs"),
    // One per run, not per attempt: the next attempt on this machine reads what the last one wrote.
    progress: join(dataDir, "runs", runId, "progress.md"),
  };
  await Promise.all([dirs.home, dirs.tmp, dirs.outputs].map((d) => mkdir(d, { recursive: true })));
  return dirs;
}

/** The folder of one attempt of a run: its worktree, HOME, TMPDIR and saved outputs. */
export function attemptRoot(dataDir: string, runId: string, attempt: number): string {
  return join(dataDir, "runs", runId, `attempt-${attempt}`);
}
