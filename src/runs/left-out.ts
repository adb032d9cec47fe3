// The harness leaves repositories nested in the worktree out of its git
// (workspace/worktree-guard.ts): the audit log says what it refused, once for
// each set of paths per attempt, however many places commit or diff (the
// checkpoint tool tells the model).
import type { AuditSink } from "../agent/ports.ts";

/** The last set said, by the attempt's audit sink: one sink per attempt. */
const said = new WeakMap<AuditSink, string>();

export function recordLeftOut(audit: AuditSink): (paths: string[]) => Promise<void> {
  return async (paths) => {
    const key = paths.join("\0");
    if (said.get(audit) === key) return;
    said.set(audit, key);
    await audit.record("git.refused", {
      nested: paths,
      reason:
        "a git repository inside the worktree has a config of its own, which could run programs in the harness; Stamina leaves it out of commits, diffs and checkpoints",
    });
  };
}
