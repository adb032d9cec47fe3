// The ports through which the agent loop reaches the world. The loop knows
// nothing of GitHub, git or processes: a webhook run, a local run and a test
// each plug their own implementations in here. The model's port is defined
// below the loop, in src/model/types.ts, where its implementations live.
import type Anthropic from "@anthropic-ai/sdk";
import type { ToolDefinition } from "../model/types.ts";
import type { Phase } from "./phase.ts";

/** Appends events to the run's audit chain. Data is redacted by the sink. */
export interface AuditSink {
  record(type: string, data: Record<string, unknown>): Promise<void>;
}

export interface ToolOutcome {
  /** What the model sees. */
  output: string;
  isError: boolean;
  /** Extra facts for the audit event (exit code, duration, saved output path). */
  details?: Record<string, unknown>;
  /** This call left the worktree as it was (a view, a search), so the step's diff is unchanged. */
  readOnly?: boolean;
  /**
   * The call waits for a person (`ask_human`, a change held for approval): the run stops after
   * this step, and the call's tool_result is held back until the answer fills it in.
   */
  pause?: PauseRequest;
}

export interface Tool {
  readonly definition: ToolDefinition;
  /** Must not throw for bad input: it answers with an error outcome the model can act on. */
  execute(input: unknown, signal: AbortSignal): Promise<ToolOutcome>;
  /** Releases what the tool holds (the persistent shell) when the run ends. */
  close?(): Promise<void>;
}

// --- The checks: the repository's build, test and lint commands ----------------------------

export type CheckName = "build" | "test" | "lint";

export interface CheckResult {
  name: CheckName;
  command: string;
  /** Exit code 0 within the time limit. */
  passed: boolean;
  /** Why it did not run (the build failed first), when it did not. */
  skipped: string | null;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** The output when it failed (head and tail), empty when it passed. */
  output: string;
  /** The whole output, when it was too long to show. */
  fullOutputPath: string | null;
}

export interface ChecksReport {
  /** False when the repository configures no build, test or lint command. */
  configured: boolean;
  /** Every configured check passed. False when none is configured: nothing was verified. */
  passed: boolean;
  /** The run was cancelled while the checks ran. */
  aborted: boolean;
  checks: CheckResult[];
}

/**
 * Runs the configured checks. `purpose` says who asked: the agent's tool, the harness's
 * verification, or the harness's baseline on the base commit before the agent edits. `only`
 * runs just those checks (a failed one run once more), in their usual order.
 */
export interface ChecksPort {
  run(
    purpose: "agent" | "harness" | "baseline",
    signal: AbortSignal,
    only?: readonly CheckName[],
  ): Promise<ChecksReport>;
}

// --- Milestones, the plan, the worktree ----------------------------------------------------

export interface Milestone {
  /** The new commit, or null when there was nothing to commit (or it was held). */
  sha: string | null;
  /** Pushed to the run's branch (under GitHub), or only committed (a local run). */
  pushed: boolean;
  /**
   * The change needs a writer's approval before it is pushed (approvals by policy): nothing was
   * committed, the change stays in the working tree, and this says what is asked.
   */
  held?: PauseRequest;
  /** Repositories nested in the worktree that the commit left out (their paths). */
  leftOut?: string[];
}

/** Commits the work so far (and, under GitHub, pushes it). */
/** A commit's message, or how to write it from the files the commit holds. */
export type CommitMessage = string | ((files: readonly string[]) => string);

export interface MilestonePort {
  checkpoint(
    /** `budget`: the work so far, before a budget stops the run (or pauses it to ask for more). */
    input: {
      /** The message, or how to write it from the files the commit holds (read as it is made). */
      message: CommitMessage;
      reason: "tool" | "verified" | "final" | "budget";
    },
    signal: AbortSignal,
  ): Promise<Milestone>;
  /**
   * Throws away every change since the last pushed milestone (a denied change): the worktree
   * is the last checkpoint again. Returns that commit. Absent where nothing is ever held.
   */
  rollback?(signal: AbortSignal): Promise<string>;
}

export type PlanStatus = "pending" | "in_progress" | "done";

export interface PlanItem {
  step: string;
  status: PlanStatus;
}

/** What people watching the run see: the plan as a checklist, the phase it is in. */
export interface ProgressPort {
  plan(items: PlanItem[]): Promise<void>;
  phase(phase: Phase): Promise<void>;
}

/** What the loop itself reads of the worktree. */
export interface WorkspacePort {
  /**
   * The commit the run's change is measured against (the branch's start; a review round's, the
   * pull request's head when the round began): what the prompts name for `git diff` and
   * `git show`, since the harness's milestone commits move HEAD.
   */
  base: string;
  /** The whole change so far against the run's base commit, untracked files included. */
  diff(signal: AbortSignal): Promise<string>;
  /**
   * The same change as the step checkpoint takes it (renames as a deletion and an addition,
   * binary files as patches), which the run has at hand after a step: what the watchdog
   * compares step to step. Without it, the watchdog reads `diff`.
   */
  change?(signal: AbortSignal): Promise<string>;
}

// --- Memory across runs: one per repository, kept by the store -----------------------------

/** One file of a repository's memory: a path under `/memories` and its text. */
export interface MemoryFile {
  path: string;
  content: string;
}

/** What one edit of the memory writes: files put (created or replaced) and paths removed. */
export interface MemoryChange {
  put: MemoryFile[];
  remove: string[];
}

/**
 * A repository's memory, shared by its runs. Reads see whole files; every edit reads the
 * current files and writes its change as one serialised step, so two runs of one repository
 * editing at once never lose each other's change.
 */
export interface MemoryPort {
  /** Every file, sorted by path. */
  read(): Promise<MemoryFile[]>;
  /**
   * Runs `edit` on the files as they are now and stores the change it returns (none when it
   * returns no change), with no other edit of the same memory in between.
   */
  edit<T>(edit: (files: readonly MemoryFile[]) => { result: T; change?: MemoryChange }): Promise<T>;
}

// --- A person in the loop: pausing for an answer -------------------------------------------

/** Why the run stops to wait for a person, said for the person who will answer. */
export interface PauseRequest {
  /**
   * Who asked for the pause: the watchdog and the model's `ask_human` wait for a reply; a change
   * held by policy (`approval`) and a budget run out (`budget`) wait for `/stamina approve|deny`.
   */
  source: "watchdog" | "ask_human" | "approval" | "budget";
  /** What went wrong (or what is asked), in plain words. */
  reason: string;
  /** Facts for the audit log and the run page (the watchdog's rule, the step). */
  details?: Record<string, unknown>;
}

/**
 * Where a pause goes. The loop has already checkpointed the step when it calls `pause`, and
 * stops right after with stop `paused`: a GitHub run maps that to `awaiting_reply` and
 * releases its worker (the comment saying what went wrong and how to answer is posted here);
 * `stamina run` prints the reason and exits.
 */
export interface HumanPort {
  /**
   * Someone will read a question and answer it (a run on GitHub). False for `stamina run`: no one
   * watches it, so `ask_human` answers at once that nobody can, and the model goes on.
   */
  readonly answers?: boolean;
  pause(request: PauseRequest, signal: AbortSignal): Promise<void>;
}

/** Milliseconds on some fixed scale; only differences are used. Injected so tests drive time. */
export type Clock = () => number;

// --- The loop's own state, persisted after every step ---------------------------------------

export interface AgentUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** What a run has spent so far, for the budgets. */
export interface Spent {
  /** Every token the model read or wrote: input, cache writes and reads, output. */
  tokens: number;
  dollars: number;
  /** Wall time while the loop ran; time spent stopped (a restart, a pause) does not count. */
  elapsedMs: number;
}

/** The harness's verification, with the diff it verified (so an unchanged tree is not run twice). */
export interface VerificationRecord extends ChecksReport {
  phase: Phase;
  diffHash: string;
  /** Failing checks that failed on the base commit too, before the change (see baseline.ts). */
  preexisting?: CheckName[];
  /** Checks that passed on the base commit, failed here, and passed when run once more. */
  flaky?: CheckName[];
}

/** The checks as they were on the base commit, run by the harness before the agent's first step. */
export type BaselineRecord = ChecksReport;

/**
 * The loop's own state besides the transcript. Plain JSON: the harness persists it verbatim
 * after every step and hands it back on resume, without looking inside.
 */
export interface AgentSnapshot {
  version: 1;
  usage: AgentUsage;
  spent: Spent;
  phase: Phase;
  plan: PlanItem[];
  /** The harness's last verification, null before the first. */
  verification: VerificationRecord | null;
  /** Harness verifications run so far. */
  verifications: number;
  /** State of the per-step hooks (the watchdog's window), by hook name. */
  hooks: Record<string, unknown>;
  /** The pause the run stopped at, until a person answers it; a resume without the answer pauses again. */
  pause?: PauseRequest | null;
  /**
   * The reply of the step that paused, held back because one of its tool calls waits for the
   * answer (`ask_human`, a held checkpoint): the answer becomes that call's tool_result.
   */
  held?: Anthropic.ContentBlockParam[] | null;
  /** Budget extensions writers approved, as a share of each configured budget (0.5, then 1). */
  budgetGranted?: number;
  /** The checks on the base commit, taken before the first step; null when none was taken. */
  baseline?: BaselineRecord | null;
  /** The model was asked once whether changing nothing is right (an empty diff, a text-only turn). */
  askedNoChange?: boolean;
  /**
   * The failing checks of the last failed verification at the end of a turn (name and exit code
   * of each) with how many turn ends in a row got that same result, and the diff it saw with how
   * many turn ends in a row saw it: where "cannot fix" starts (phases.ts).
   */
  failedEnds?: { key: string; count: number; diffHash: string; unchanged: number } | null;
}

/**
 * What one finished step hands the harness, to persist before the next step starts. The
 * transcript is append-only: `added` holds only the messages this step appended, in order.
 */
export interface StepCheckpoint {
  step: number;
  added: Anthropic.MessageParam[];
  state: AgentSnapshot;
  /**
   * The step may have changed the worktree (a command, an edit, a check). False when every
   * tool it ran only read: the working diff is the previous step's.
   */
  touched: boolean;
}

/** Where a resumed run picks up: every message of the checkpoints so far, and the last state. */
export interface AgentResume {
  /** Steps already done; the loop continues at `step + 1`. */
  step: number;
  messages: Anthropic.MessageParam[];
  /** The last checkpoint's state; older shapes are filled in with defaults. */
  state: AgentSnapshot | Record<string, unknown>;
  /** A person's answer to the pause the run stopped at: the next turn reads it first. */
  answer?: { by: string; text: string };
  /** A writer's `/stamina approve` (granted) or `deny` on the approval the run stopped at. */
  decision?: { by: string; granted: boolean };
}
