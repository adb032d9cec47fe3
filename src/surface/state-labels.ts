// The state labels on the issue: `stamina:working`, `stamina:waiting`,
// `stamina:done`, `stamina:failed`, created in the repository when missing,
// and swapped as the run's state changes (one on the issue at a time; none
// once someone stopped the run).
import type { AuditSink } from "../agent/ports.ts";
import type { GitHubPort, LabelSpec, RepoRef } from "../github/types.ts";

export type LabelState = "working" | "waiting" | "done" | "failed";

const STATE_LABELS: Record<LabelState, LabelSpec> = {
  working: {
    name: "stamina:working",
    color: "fbca04",
    description: "Stamina is working on this",
  },
  waiting: {
    name: "stamina:waiting",
    color: "d4c5f9",
    description: "Stamina is waiting (a retry, or an answer)",
  },
  done: { name: "stamina:done", color: "0e8a16", description: "Stamina opened a pull request" },
  failed: {
    name: "stamina:failed",
    color: "b60205",
    description: "Stamina stopped without finishing",
  },
};

const NAMES = new Set(Object.values(STATE_LABELS).map((l) => l.name.toLowerCase()));

/** Sets the issue's state label (null: none); a repeat of the state last set does nothing. */
export function createStateLabels(deps: {
  github: GitHubPort;
  audit: AuditSink;
  ref: RepoRef;
  issueNumber: number;
}): (state: LabelState | null) => Promise<void> {
  const { github, ref, issueNumber } = deps;
  let shown: LabelState | null | undefined;
  return async (state) => {
    if (shown === state) return;
    const target = state === null ? null : STATE_LABELS[state];
    if (target) await github.ensureLabel(ref, target);
    const on = await github.issueLabels(ref, issueNumber);
    const removed = on.filter(
      (name) => NAMES.has(name.toLowerCase()) && name.toLowerCase() !== target?.name,
    );
    for (const name of removed) await github.removeLabel(ref, issueNumber, name);
    const add = target !== null && !on.some((n) => n.toLowerCase() === target.name);
    if (add) await github.addLabel(ref, issueNumber, target.name);
    if (add || removed.length > 0) {
      await deps.audit.record("github.write", {
        op: "labels.set",
        label: target?.name ?? null,
        removed,
      });
    }
    shown = state;
  };
}
