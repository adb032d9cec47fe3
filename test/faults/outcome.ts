// What a run of the world's script came to, reduced so that an undisturbed run and a run under
// injected faults can be compared: the tree of its pull request's branch, the sequence of its
// actions in the audit log, and the commits on the branch; and what a fault made happen twice
// (a comment posted twice, a commit pushed twice, a pull request or check run made twice, a step
// that was already checkpointed run again). The suite's `faults:` line is printed from here.
import { execFileSync } from "node:child_process";
import type { AuditEvent } from "../../src/audit/types.ts";
import { waitFor } from "../support/webhooks.ts";
import { OWNER, REPO, type World } from "../support/world.ts";

export interface Outcome {
  state: string;
  tree: string;
  /** The audit log's actions, each a type and what says which act it was, in order. */
  actions: string[];
  /**
   * What the edits of what is already there left on GitHub: the issue's labels, the pull
   * request's state and draft flag, the check runs' conclusions. The edit events themselves are
   * not compared: a resumed attempt says again where the run is, and skips an edit a killed one
   * already made on GitHub (a label set, ready for review), by design.
   */
  edits: string[];
  /** The branch's commit subjects, oldest first. */
  commits: string[];
  /** Everything done twice, in words; empty when nothing was. */
  doubles: string[];
}

/**
 * Events that record how the work was carried, not what was done: which worker claimed or let
 * go of the run, a step begun again (the issue leaves `step.retried` out by name), the model's
 * retries, the context's health, a workspace made or restored, a command's own record.
 */
const CARRIAGE = new Set([
  "run.claimed",
  "run.released",
  "run.resumed",
  "run.retry_scheduled",
  "step.retried",
  "model.retry",
  "context.health",
  "sandbox.unisolated",
  "git.clone",
  "workspace.restored",
  // The run's branch made in the workspace (a resumed attempt makes it from the checkpoint).
  "git.branch",
  // A branch pushed by an attempt that ended before its checkpoint, moved back to it.
  "git.rewind",
  "issue.comments",
  "progress.md",
  "audit.signed",
  // Each attempt starts the agent's session again, resumed from the last checkpoint.
  "agent.start",
]);

/** GitHub writes that edit what exists: repeating one changes nothing. */
const EDITS = new Set([
  "comment.update",
  "labels.set",
  "pull.update",
  "pull.ready",
  "check.complete",
]);
const isEdit = (e: AuditEvent) => e.type === "github.write" && EDITS.has(String(e.data.op));

/** Where an attempt's work is checkpointed: the baseline (step 0), each step, the agent's stop. */
const BOUNDARIES = new Set(["verify.baseline", "context.health", "agent.stop"]);

/** Events of one step of the agent's loop: they carry its number. */
const STEP_EVENTS = new Set(["model.request", "model.response", "tool.call", "tool.result"]);

/** An event as an action: its type and the fields that tell one act from another. */
function actionOf(e: AuditEvent): string {
  const d = e.data;
  const pick = (...keys: string[]) =>
    keys
      .filter((k) => d[k] !== undefined)
      .map((k) => `${k}=${JSON.stringify(d[k])}`)
      .join(" ");
  switch (e.type) {
    case "github.write":
      // An attempt killed while the pull request was opened leaves it to the next to find.
      if (d.op === "pull.found") return `github.write op="pull.create" ${pick("draft")}`;
      return `github.write ${pick("op", "label", "conclusion", "draft", "content")}`;
    case "model.request":
    case "model.response":
      return `${e.type} ${pick("step")}`;
    case "tool.call":
    case "tool.result":
      return `${e.type} ${pick("name", "step", "isError", "exitCode")}`;
    case "agent.phase":
      return `agent.phase ${pick("from", "to")}`;
    case "git.commit":
      return `git.commit ${pick("reason")}`;
    case "verify.result":
    case "verify.baseline":
      return `${e.type} ${pick("passed", "failing")}`;
    case "run.finished":
      return `run.finished ${pick("state", "outcome")}`;
    case "command":
      return `command ${pick("check", "purpose", "exitCode")}`;
    default:
      return e.type;
  }
}

/**
 * The actions of a run: the carriage and the edits left out, and the work of an attempt that
 * ended before it was checkpointed (its worker killed, or a transient failure) left out too: the
 * next attempt redoes it (the log says so with `step.retried`, or starts after the last step the
 * ended attempt finished). What such work did on GitHub is not lost from view: `doublesOf`
 * reads GitHub itself.
 */
function actionsOf(events: AuditEvent[]): AuditEvent[] {
  const kept: AuditEvent[] = [];
  // Attempts, each starting at a claim; the events before the first claim are the ingress's.
  const attempts: AuditEvent[][] = [[]];
  for (const e of events) {
    if (e.type === "run.claimed") attempts.push([]);
    attempts.at(-1)!.push(e);
  }
  for (const [i, attempt] of attempts.entries()) {
    const next = attempts[i + 1];
    if (next === undefined || i === 0) {
      kept.push(...attempt);
      continue;
    }
    // Ended early: keep what it checkpointed, up to its last step's end or its stop.
    const retried = next.find((e) => e.type === "step.retried")?.data.step;
    let end = -1;
    for (const [j, e] of attempt.entries()) if (BOUNDARIES.has(e.type)) end = j;
    kept.push(
      ...attempt
        .slice(0, end + 1)
        .filter((e) => !(STEP_EVENTS.has(e.type) && e.data.step === retried)),
    );
  }
  return kept.filter((e) => !CARRIAGE.has(e.type));
}

/**
 * A run's audit log reduced for comparison: its actions in order (edits of what exists left out)
 * and the steps run again after their checkpoint.
 */
export function reduceLog(events: AuditEvent[]): { actions: string[]; again: string[] } {
  return {
    actions: actionsOf(events)
      .filter((e) => !isEdit(e))
      .map(actionOf),
    again: stepsRunAgain(events),
  };
}

/** Steps asked of the model more often than once plus the times the log says they were redone. */
function stepsRunAgain(events: AuditEvent[]): string[] {
  const asked = new Map<number, number>();
  const retried = new Map<number, number>();
  for (const e of events) {
    const step = Number(e.data.step);
    if (e.type === "model.request") asked.set(step, (asked.get(step) ?? 0) + 1);
    if (e.type === "step.retried") retried.set(step, (retried.get(step) ?? 0) + 1);
  }
  return [...asked]
    .filter(([step, n]) => n > 1 + (retried.get(step) ?? 0))
    .map(([step, n]) => `step ${step} ran ${n} times, ${retried.get(step) ?? 0} of them retried`);
}

function repeated(values: string[], what: (value: string, n: number) => string): string[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].filter(([, n]) => n > 1).map(([v, n]) => what(v, n));
}

function git(world: World, args: string[]): string {
  return execFileSync("git", ["--git-dir", world.bare, ...args], { encoding: "utf8" }).trim();
}

/** Everything the run on `issue` did twice, read from GitHub and from the audit log. */
function doublesOf(world: World, issue: number, head: string, events: AuditEvent[]): string[] {
  const comments = world.github.issueComments(OWNER, REPO, issue).map((c) => c.body);
  const pulls = world.github
    .pulls(OWNER, REPO)
    .filter((p) => p.head.startsWith(`stamina/${issue}-`));
  const sha = git(world, ["rev-parse", head]);
  const checks = world.github
    .checkRuns(OWNER, REPO)
    .filter((c) => c.headSha === sha)
    .map((c) => c.name);
  // The same change committed twice has the same patch id, whatever its commit's id.
  const patches = git(world, ["log", "--format=%H", `main..${head}`])
    .split("\n")
    .filter(Boolean)
    .map(
      (commit) =>
        execFileSync("git", ["--git-dir", world.bare, "patch-id", "--stable"], {
          input: git(world, ["show", commit]),
          encoding: "utf8",
        }).split(" ")[0]!,
    );
  return [
    ...repeated(comments, (b, n) => `a comment posted ${n} times on #${issue}: ${b.slice(0, 60)}`),
    ...(pulls.length > 1 ? [`${pulls.length} pull requests for #${issue}`] : []),
    ...repeated(checks, (name, n) => `check run "${name}" made ${n} times on ${sha.slice(0, 7)}`),
    ...repeated(patches, (id, n) => `a commit pushed ${n} times (patch ${id.slice(0, 7)})`),
    ...stepsRunAgain(events),
  ];
}

const TERMINAL = ["succeeded", "failed", "cancelled", "out_of_budget"];

/** What the run's edits left on GitHub: labels, the pull request's state, check conclusions. */
function finalState(world: World, issue: number): string[] {
  const pulls = world.github
    .pulls(OWNER, REPO)
    .filter((p) => p.head.startsWith(`stamina/${issue}-`));
  const heads = new Set(pulls.map((p) => git(world, ["rev-parse", p.head])));
  // The audit log is cut into as many check runs as its length needs (GitHub's 65,535
  // characters each): a run whose attempts were cut has a longer log, so parts count once.
  const name = (n: string) => n.replace(/^(Stamina audit log) \(\d+\)$/, "$1");
  const states = [
    ...world.github.labels(OWNER, REPO, issue).map((l) => `label ${l}`),
    ...pulls.map((p) => `pull ${p.state}${p.draft ? " draft" : ""}`),
    ...world.github
      .checkRuns(OWNER, REPO)
      .filter((c) => heads.has(c.headSha))
      .map((c) => `check "${name(c.name)}" ${c.status} ${c.conclusion ?? ""}`),
  ];
  return [...new Set(states)].sort();
}

/**
 * The outcome of the run on `issue`, once it finished (waited for generously: a run under faults
 * on a busy machine takes minutes). A run that ended without its pull request has no tree.
 */
export async function outcomeOf(world: World, issue: number): Promise<Outcome> {
  const state = await waitFor(
    async () => {
      const [run] = await world.query<{ state: string }>(
        "select state from runs where issue_number = ?",
        [issue],
      );
      return run && TERMINAL.includes(run.state) ? run.state : undefined;
    },
    `the run on issue #${issue} to finish`,
    300_000,
  );
  const events = await world.audit(issue);
  const pull = world.github.pulls(OWNER, REPO).find((p) => p.head.startsWith(`stamina/${issue}-`));
  const { actions } = reduceLog(events);
  const edits = finalState(world, issue);
  if (pull === undefined) return { state, tree: "", actions, edits, commits: [], doubles: [] };
  return {
    state,
    tree: world.tree(pull.head),
    actions,
    edits,
    commits: git(world, ["log", "--reverse", "--format=%s", `main..${pull.head}`]).split("\n"),
    doubles: doublesOf(world, issue, pull.head, events),
  };
}

/** What differs between a faulted run's outcome and the undisturbed one, in words. */
export function differences(reference: Outcome, faulted: Outcome): string[] {
  const out: string[] = [];
  if (faulted.state !== reference.state) out.push(`state ${faulted.state}, not ${reference.state}`);
  if (faulted.tree !== reference.tree) out.push(`tree ${faulted.tree}, not ${reference.tree}`);
  if (JSON.stringify(faulted.commits) !== JSON.stringify(reference.commits)) {
    out.push(
      `commits ${JSON.stringify(faulted.commits)}, not ${JSON.stringify(reference.commits)}`,
    );
  }
  if (JSON.stringify(faulted.actions) !== JSON.stringify(reference.actions)) {
    const at = faulted.actions.findIndex((a, i) => a !== reference.actions[i]);
    out.push(
      `actions differ at ${at}: ${JSON.stringify(faulted.actions.slice(at, at + 3))}, not ${JSON.stringify(reference.actions.slice(at, at + 3))}`,
    );
  }
  if (JSON.stringify(faulted.edits) !== JSON.stringify(reference.edits)) {
    out.push(
      `GitHub left as ${JSON.stringify(faulted.edits)}, not ${JSON.stringify(reference.edits)}`,
    );
  }
  return [...out, ...faulted.doubles];
}

/** The suite's tally: faults injected, and those whose run came out as the undisturbed one. */
export class Tally {
  injected = 0;
  survived = 0;
  lost = 0;
  readonly problems: string[] = [];

  /** Counts a run's faults: survived if the run matches the reference and did nothing twice. */
  add(name: string, faults: number, reference: Outcome, faulted: Outcome): string[] {
    const problems = differences(reference, faulted);
    this.injected += faults;
    if (problems.length === 0) this.survived += faults;
    else {
      this.lost += faults;
      this.problems.push(...problems.map((p) => `${name}: ${p}`));
    }
    return problems;
  }

  line(): string {
    return `faults: ${this.injected} injected, ${this.survived} survived, ${this.lost} lost`;
  }
}
