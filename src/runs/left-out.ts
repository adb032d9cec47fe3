// The harness leaves repositories nested in the worktree out of its git
// (workspace/worktree-guard.ts): the audit log says what it refused, once for
// each set of paths (the checkpoint tool tells the model).
import type { AuditSink } from "../agent/ports.ts";

export function recordLeftOut(audit: AuditSink): (paths: string[]) => Promise<void> {
  let last = "";
  return async (paths) => {
    const key = paths.join("\0");
    if (key === last) return;
    last = key;
    await audit.record("git.refused", {
      nested: paths,
      reason:
        "a git repository inside the worktree has a config of its own, which could run programs in the harness; Stamina leaves it out of commits, diffs and checkpoints",
    });
  };
}
