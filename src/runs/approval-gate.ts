// The approval gate of a run on GitHub: before a milestone is pushed, the
// run's change against the commit it started from is checked by the policy
// (src/policy/approvals.ts); a hit no writer approved is held (not pushed)
// and the run waits in `awaiting_approval`. Also here: the rollback a denial
// asks for, and the end of a run, whose last milestone is gated the same way.
import type {
  AuditSink,
  CommitMessage,
  HumanPort,
  Milestone,
  MilestonePort,
  PauseRequest,
} from "../agent/ports.ts";
import { safetyEvent } from "../audit/safety.ts";
import {
  checkChange,
  describeHit,
  type ApprovalPolicy,
  type ChangedFile,
} from "../policy/approvals.ts";
import { runGit } from "../workspace/git.ts";
import type { Store } from "../store/store.ts";

/** Checks the commit `sha` before it is pushed: null when it may go, else what to ask. */
export type ApprovalGate = (sha: string, signal: AbortSignal) => Promise<PauseRequest | null>;

export function createApprovalGate(deps: {
  store: Store;
  runId: string;
  worktree: string;
  policy: ApprovalPolicy;
  audit: AuditSink;
}): ApprovalGate {
  return async (sha, signal) => {
    const run = await deps.store.runs.mustGet(deps.runId);
    if (run.baseSha === null) return null;
    const hit = checkChange(
      await changedFiles(deps.worktree, run.baseSha, sha, signal),
      deps.policy,
    );
    if (hit === null) return null;
    const asked = describeHit(hit);
    if ((await deps.store.approvals.granted(deps.runId)).has(hit.fingerprint)) {
      await deps.audit.record("approval.applied", { sha, fingerprint: hit.fingerprint, asked });
      return null;
    }
    await deps.audit.record("approval.held", { sha, fingerprint: hit.fingerprint, asked });
    const held = safetyEvent({
      control: "approval.gate",
      outcome: "held",
      detail: `The approval gate held commit ${sha.slice(0, 7)} back from GitHub until a writer answers: this change ${asked.join("; and ")}.`,
      sha,
      fingerprint: hit.fingerprint,
    });
    await deps.audit.record(held.type, held.data);
    return {
      source: "approval",
      reason: `This change ${asked.join("; and ")}.`,
      details: {
        fingerprint: hit.fingerprint,
        asked,
        protectedPaths: hit.protectedPaths.map((p) => p.path),
        ...(hit.deletions
          ? { deletedFiles: hit.deletions.files, deletedLines: hit.deletions.lines }
          : {}),
        manifests: hit.manifests,
      },
    };
  };
}

/** Gates asked in turn: the first that holds the commit says what is asked. */
export function firstHold(...gates: ApprovalGate[]): ApprovalGate {
  return async (sha, signal) => {
    for (const gate of gates) {
      const held = await gate(sha, signal);
      if (held !== null) return held;
    }
    return null;
  };
}

/** The change from `base` to `head`, file by file (renames as a deletion and an addition). */
async function changedFiles(
  worktree: string,
  base: string,
  head: string,
  signal?: AbortSignal,
): Promise<ChangedFile[]> {
  const range = ["--no-renames", "-z", base, head, "--"];
  const raw = await runGit(["diff", "--raw", "--no-abbrev", ...range], { cwd: worktree, signal });
  const numstat = await runGit(["diff", "--numstat", ...range], { cwd: worktree, signal });
  const deletedLines = new Map<string, number | null>();
  for (const record of numstat.stdout.split("\0")) {
    const match = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(record);
    if (match) deletedLines.set(match[3] ?? "", match[2] === "-" ? null : Number(match[2]));
  }
  // --raw -z: ":old-mode new-mode old-sha new-sha status\0path\0", one pair per file.
  const fields = raw.stdout.split("\0");
  const files: ChangedFile[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [, , , blob = "", letter = ""] = (fields[i] ?? "").split(" ");
    const path = fields[i + 1] ?? "";
    const status = letter.startsWith("D")
      ? "deleted"
      : letter.startsWith("A")
        ? "added"
        : "modified";
    files.push({
      path,
      status,
      deletedLines: deletedLines.get(path) ?? null,
      blob: status === "deleted" ? null : blob,
    });
  }
  return files;
}

/**
 * A denied change: the worktree back to the last pushed commit, every change since then
 * (committed locally, staged, untracked) thrown away. Returns that commit.
 */
export async function rollbackWorktree(deps: {
  store: Store;
  runId: string;
  worktree: string;
  audit: AuditSink;
  signal?: AbortSignal;
}): Promise<string> {
  const run = await deps.store.runs.mustGet(deps.runId);
  const to = run.headSha ?? run.baseSha;
  if (to === null) throw new Error(`run ${run.id} has no checkpoint to roll back to`);
  await runGit(["reset", "--quiet", "--hard", to], { cwd: deps.worktree, signal: deps.signal });
  await runGit(["clean", "--quiet", "-d", "--force"], { cwd: deps.worktree, signal: deps.signal });
  await deps.audit.record("git.rollback", { to, why: "a writer denied the change" });
  return to;
}

/**
 * The last milestone of a run whose agent finished: the decision on a change held here before
 * is applied first (denied: rolled back, so the work pushed so far is what the pull request
 * shows), then the commit is gated like any other. Held again: the comment is posted.
 */
export async function finalMilestone(deps: {
  store: Store;
  runId: string;
  milestones: MilestonePort;
  human: HumanPort;
  message: CommitMessage;
  signal: AbortSignal;
}): Promise<Milestone> {
  const decision = await deps.store.approvals.decisionFor(deps.runId);
  if (decision?.request.final === true && !decision.granted) {
    await deps.milestones.rollback?.(deps.signal);
  }
  const milestone = await deps.milestones.checkpoint(
    { message: deps.message, reason: "final" },
    deps.signal,
  );
  if (milestone.held) {
    milestone.held = { ...milestone.held, details: { ...milestone.held.details, final: true } };
    await deps.human.pause(milestone.held, deps.signal);
  }
  return milestone;
}

/** The decision on the approval the run asked for last, as the resumed loop reads it. */
export async function resumeDecision(
  store: Store,
  runId: string,
): Promise<{ by: string; granted: boolean } | undefined> {
  const decision = await store.approvals.decisionFor(runId);
  return decision && { by: decision.by.replace(/^@/, ""), granted: decision.granted };
}
