// While the harness runs git on the worktree (a step checkpoint, a commit, the
// diff for review, a rollback), the run's own processes are frozen: a
// background job left in the agent's shell cannot swap a folder for a symlink
// under git, which would have it read or write a host file as the harness.
// A run's processes are its sandbox group's (the run's id).
import type { Sandbox } from "../sandbox/sandbox.ts";

export type WhileFrozen = <T>(fn: () => Promise<T>) => Promise<T>;

export function freezing(sandbox: Sandbox, group: string): WhileFrozen {
  return async (fn) => {
    const thaw = await sandbox.freeze(group);
    try {
      return await fn();
    } finally {
      await thaw();
    }
  };
}

/** For callers with no sandbox processes to freeze (a local run's own checkout, a test). */
export const unfrozen: WhileFrozen = (fn) => fn();
