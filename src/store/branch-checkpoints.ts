// The checkpoints of a run's branch, as people name them in `/stamina
// rollback` and read them in `/stamina status`: every milestone commit a run
// pushed (the `checkpoint` tool, a green verification, the end of a run, a
// rollback), read from the audit logs of the runs on the branch, numbered
// from 1 in the order they were pushed. A checkpoint is green when its commit
// was made because the harness's verification had just passed.
import type { AuditEvent } from "../audit/types.ts";
import type { Run } from "./types.ts";

export interface BranchCheckpoint {
  /** 1 for the first pushed, as `/stamina status` lists them. */
  number: number;
  sha: string;
  /** Why it was committed: "tool", "verified", "final" or "rollback". */
  reason: string;
  green: boolean;
  runId: string;
  /** When it was pushed (the audit event's time). */
  at: string;
}

/** The checkpoints in the audit logs of the runs on one branch, numbered in push order. */
export function branchCheckpoints(
  logs: Array<{ runId: string; events: AuditEvent[] }>,
  branch: string,
): BranchCheckpoint[] {
  const pushed: Array<Omit<BranchCheckpoint, "number">> = [];
  const seen = new Set<string>();
  for (const { runId, events } of logs) {
    const reasons = new Map<string, string>();
    for (const event of events) {
      const sha = event.data.sha;
      if (typeof sha !== "string") continue;
      if (event.type === "git.commit") {
        reasons.set(sha, typeof event.data.reason === "string" ? event.data.reason : "tool");
      } else if (event.type === "git.push" && event.data.branch === branch && !seen.has(sha)) {
        seen.add(sha);
        const reason = reasons.get(sha) ?? "tool";
        pushed.push({ sha, reason, green: reason === "verified", runId, at: event.ts });
      }
    }
  }
  pushed.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return pushed.map((c, i) => ({ ...c, number: i + 1 }));
}

export type CheckpointChoice =
  { ok: true; checkpoint: BranchCheckpoint } | { ok: false; problem: string };

/**
 * The checkpoint a person named: its number (`2`, `#2`), its commit (7 to 40 hex digits of the
 * sha), or nothing for the last green one. A problem is said in words, the checkpoints listed.
 */
export function chooseCheckpoint(list: BranchCheckpoint[], arg: string): CheckpointChoice {
  const wanted = arg.trim().split(/\s+/)[0] ?? "";
  const known = `The checkpoints of this branch:\n\n${describeCheckpoints(list)}`;
  if (list.length === 0) {
    return { ok: false, problem: "Stamina has pushed no checkpoint to this branch yet." };
  }
  if (wanted === "") {
    const green = list.filter((c) => c.green).at(-1);
    if (green) return { ok: true, checkpoint: green };
    return {
      ok: false,
      problem: `No checkpoint of this branch passed verification, so there is no green one to go back to. Name one: \`/stamina rollback 2\` or \`/stamina rollback <commit>\`.\n\n${known}`,
    };
  }
  const number = /^#?(\d{1,6})$/.exec(wanted);
  if (number) {
    const found = list.find((c) => c.number === Number(number[1]));
    if (found) return { ok: true, checkpoint: found };
    return { ok: false, problem: `There is no checkpoint ${number[1]}. ${known}` };
  }
  if (/^[0-9a-f]{7,40}$/i.test(wanted)) {
    const matches = list.filter((c) => c.sha.startsWith(wanted.toLowerCase()));
    if (matches.length === 1) return { ok: true, checkpoint: matches[0]! };
    const why =
      matches.length === 0
        ? `\`${wanted}\` is not one of the checkpoints Stamina pushed to this branch.`
        : `\`${wanted}\` names more than one checkpoint; give more of the commit.`;
    return { ok: false, problem: `${why} ${known}` };
  }
  return {
    ok: false,
    problem: `\`${wanted.slice(0, 60)}\` is neither a checkpoint's number nor a commit (7 or more hex digits). ${known}`,
  };
}

const REASONS: Record<string, string> = {
  tool: "checkpoint",
  verified: "✅ verification passed",
  final: "end of the run",
  budget: "work so far at a budget limit (WIP)",
  rollback: "rollback",
};

/** The list as a Markdown list, one checkpoint a line. */
export function describeCheckpoints(list: BranchCheckpoint[]): string {
  if (list.length === 0) return "_none yet_";
  return list
    .map((c) => `${c.number}. \`${c.sha.slice(0, 7)}\` ${REASONS[c.reason] ?? c.reason}`)
    .join("\n");
}

/** What loadCheckpoints reads: the runs on a branch and their audit logs. */
export interface CheckpointSource {
  rollbacks: { runsOnBranch(owner: string, repo: string, branch: string): Promise<Run[]> };
  audit: { events(runId: string): Promise<AuditEvent[]> };
}

/** The checkpoints of a run's branch (every run on it counts: the first, follow-ups). */
export async function loadCheckpoints(
  store: CheckpointSource,
  run: Pick<Run, "owner" | "repo" | "branch">,
): Promise<BranchCheckpoint[]> {
  if (run.branch === null) return [];
  const runs = await store.rollbacks.runsOnBranch(run.owner, run.repo, run.branch);
  const logs = await Promise.all(
    runs.map(async (r) => ({ runId: r.id, events: await store.audit.events(r.id) })),
  );
  return branchCheckpoints(logs, run.branch);
}
