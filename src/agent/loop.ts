// The agent loop: ask the model, run the tools it calls, and when it ends its
// turn let the harness verify and move the phase on, until the work is done,
// a budget runs out or the model stops. After every step the harness gets the
// messages the step added and the loop's state, and a resumed loop carries on
// from them as if it had never stopped. The loop reaches the world only
// through its ports, so a webhook run, `stamina run` and a test share it.
import type Anthropic from "@anthropic-ai/sdk";
import {
  exhaustedBudget,
  extendBudget,
  type Budget,
  type BudgetStop,
  type SpendGate,
} from "./budget.ts";
import { filesOfDiff, renderCommit, wipFromReply } from "./commit-message.ts";
import { wholeTranscript, type RequestView, type StepHook } from "./hooks.ts";
import { checkpointStep, toolsByName, type LoopRun } from "./loop-run.ts";
import type { Phase } from "./phase.ts";
import type {
  AgentResume,
  AgentUsage,
  AuditSink,
  ChecksPort,
  Clock,
  HumanPort,
  MilestonePort,
  PauseRequest,
  PlanItem,
  ProgressPort,
  Spent,
  StepCheckpoint,
  Tool,
  VerificationRecord,
  WorkspacePort,
} from "./ports.ts";
import type { ModelPort } from "../model/types.ts";
import { NO_TRACER, type Tracer } from "../observability/tracing.ts";
import { takeBaseline } from "./baseline.ts";
import { initialSnapshot, restoreSnapshot } from "./snapshot.ts";
import { runStep } from "./step.ts";
import type { TestWeakening } from "./test-integrity.ts";
import { budgetPause, deniedExtension, takeUp } from "./take-up.ts";
import { lastAssistantText } from "./turn.ts";
import { verifyWork, type Verified } from "./verification.ts";

type AgentStop =
  | "completed"
  | "out_of_budget"
  | "context_window_exceeded"
  | "refusal"
  | "aborted"
  /** Waiting for a person (a watchdog pause): the run resumes from its last checkpoint. */
  | "paused"
  /** The checks fail for reasons the run cannot fix (failing on the base commit too); see phases.ts. */
  | "cannot_fix"
  /** The model changed nothing and, asked once, said why no change is needed. */
  | "no_change";

export interface AgentResult {
  stop: AgentStop;
  /** Why the loop stopped, in words for the pull request or the terminal. */
  message: string;
  /** The reason of a `cannot_fix` or `no_change` stop, as the model or the harness gave it. */
  reason?: string;
  /** The budget that ran out, when stop is out_of_budget. */
  budgetStop: BudgetStop | null;
  steps: number;
  /** The model's last text: the summary it wrote for the pull request. */
  summary: string;
  usage: AgentUsage;
  spent: Spent;
  phase: Phase;
  plan: PlanItem[];
  /** The harness's verification of the work as it was left; null when the run was cancelled or refused. */
  verification: VerificationRecord | null;
  /** Tests the change deletes or weakens, read from the final diff. */
  testWeakening: TestWeakening[];
  /** Why the run waits for a person, when stop is paused. */
  pause?: PauseRequest;
  /** The budget the run counted against: the configured one, with any extension approved. */
  budget?: Budget;
}

export interface AgentOptions {
  model: ModelPort;
  /** The tools on the worktree (bash, the editor, search); the loop adds its own harness tools. */
  tools: Tool[];
  audit: AuditSink;
  system: string;
  task: string;
  budget: Budget;
  maxTokens: number;
  signal: AbortSignal;
  checks: ChecksPort;
  workspace: WorkspacePort;
  milestones: MilestonePort;
  progress?: ProgressPort;
  clock?: Clock;
  /** What the model is sent, built from the whole transcript (context management). */
  view?: RequestView;
  hooks?: StepHook[];
  /**
   * Told when the run pauses for a person (a hook, `ask_human`, a held change), after that
   * step's checkpoint. Unless it `answers`, `ask_human` says at once that nobody can answer.
   */
  human?: HumanPort;
  /**
   * A budget running out asks a writer for this share of each budget more (`budget_extension`)
   * instead of ending the run; needs `human`. Unset: the run ends out of budget.
   */
  budgetExtension?: number;
  /**
   * Called after each step with what the step added; the next step starts only once it has
   * settled. The harness persists the checkpoint here; if that fails the run cannot go on, so
   * a rejection ends the loop with that error.
   */
  onStep?: (checkpoint: StepCheckpoint) => void | Promise<void>;
  /** Continue a run that stopped after `resume.step` steps (a crash, a restart, a pause). */
  resume?: AgentResume;
  /**
   * Run the checks on the base commit before the first step (a new run only), so verification
   * tells failures the change caused from ones that were there, and re-runs a flaky one once.
   */
  baseline?: boolean;
  /**
   * An empty diff after a text-only turn is asked about once ("you changed nothing…") before it
   * counts, and then ends the run as `no_change`. Off: it is done, as any verified turn.
   */
  confirmNoChange?: boolean;
  /** The operator's spending limits, asked before each step; none: only the run's budget. */
  spendGate?: SpendGate;
  /** Each step and tool call a span, the model's calls inside its step's; none: no spans. */
  tracer?: Tracer;
  /**
   * Asked once, the first time the model ends its turn: a prompt that sends it back to finish
   * what the task still lacks (a review round's unanswered threads), or null to go on to the
   * checks. Whether it was asked is kept in the snapshot, so a resumed run does not ask again.
   */
  beforeDone?: () => Promise<string | null>;
}

/** The least a step reserves against the operator's limits, before any step has cost anything. */
const MIN_STEP_RESERVE = 0.01;

type WordedStop = Exclude<AgentStop, "out_of_budget" | "paused" | "cannot_fix">;

const STOP_MESSAGES: Record<WordedStop, string> = {
  completed: "Stamina finished the work.",
  no_change: "No change needed: Stamina changed nothing and said why.",
  context_window_exceeded:
    "The conversation outgrew the model's context window before the work was finished; this is the work so far.",
  refusal: "The model declined to work on this task.",
  aborted: "The run was cancelled.",
};

export async function runAgent(options: AgentOptions): Promise<AgentResult> {
  const run = openLoop(options);
  const { state, signal } = run;
  const taken = await takeUp(state, options.resume, {
    audit: run.audit,
    milestones: options.milestones,
    signal,
    step: run.step,
  });
  if (taken.kind === "wait") {
    // Stopped at a pause nobody has answered (its comment may never have been posted): say it again.
    state.pause = taken.pause;
    await run.human?.pause(taken.pause, signal);
    return finish(run, "paused", { pause: taken.pause });
  }
  if (taken.kind === "out_of_budget") {
    return finish(run, "out_of_budget", { budgetStop: deniedExtension(taken.pause) });
  }
  if (taken.message) run.transcript.push(taken.message);
  if (options.baseline === true && options.resume === undefined && !state.baseline) {
    // Before the first edit; checkpointed as step 0, so a resumed run never runs it again.
    await takeBaseline(run.verify, state);
    if (signal.aborted) return finish(run, "aborted");
    await checkpointStep(run, false);
  }

  // What the next step reserves against the operator's limits: what the last one cost.
  let stepCost = Math.max(run.step > 0 ? state.spent.dollars / run.step : 0, MIN_STEP_RESERVE);
  for (;;) {
    if (signal.aborted) return finish(run, "aborted");
    const over = exhaustedBudget(run.budget(), run.step, {
      ...state.spent,
      elapsedMs: run.elapsed(),
    });
    if (over) return outOfBudget(run, options, over);
    const refused = await options.spendGate?.reserve(state.spent.dollars, stepCost);
    if (refused) {
      // The operator's limit: no writer may extend it, so the run ends here.
      await run.audit.record("budget.exhausted", { step: run.step, ...refused });
      await commitWorkSoFar(run, refused);
      return finish(run, "out_of_budget", { budgetStop: refused });
    }
    const before = state.spent.dollars;
    const end = await runStep(run);
    stepCost = Math.max(state.spent.dollars - before, MIN_STEP_RESERVE);
    if (end.kind === "aborted") return finish(run, "aborted");
    if (end.kind === "done") return finish(run, "completed", { done: end.verified });
    if (end.kind === "end")
      return finish(run, end.stop, { done: end.verified, reason: end.reason });
    if (end.kind === "stop") return finish(run, end.stop);
    if (state.pause) {
      // The step is checkpointed with the pause: the run picks up from here once answered.
      await run.human?.pause(state.pause, signal);
      return finish(run, "paused", { pause: state.pause });
    }
  }
}

/** The run as the options start it, or as the resumed checkpoint left it. */
function openLoop(options: AgentOptions): LoopRun {
  const { model, audit, signal, resume } = options;
  const clock = options.clock ?? Date.now;
  const transcript: Anthropic.MessageParam[] = resume
    ? [...resume.messages]
    : [{ role: "user", content: options.task }];
  const state = resume ? restoreSnapshot(resume.state) : initialSnapshot();
  // Wall time counts only while the loop runs: a stopped run's downtime is not spent.
  const startedAt = clock();
  const elapsedBefore = state.spent.elapsedMs;
  const tools = toolsByName(options.tools, options, state);
  const run: LoopRun = {
    model,
    audit,
    signal,
    tracer: options.tracer ?? NO_TRACER,
    view: options.view ?? wholeTranscript,
    hooks: options.hooks ?? [],
    human: options.human,
    beforeDone: options.beforeDone,
    onStep: options.onStep,
    tools,
    turn: {
      model,
      audit,
      system: options.system,
      tools: [...tools.values()].map((t) => t.definition),
      maxTokens: options.maxTokens,
      signal,
    },
    verify: {
      checks: options.checks,
      workspace: options.workspace,
      milestones: options.milestones,
      audit,
      signal,
    },
    confirmNoChange: options.confirmNoChange === true,
    transcript,
    state,
    step: resume?.step ?? 0,
    summary: lastAssistantText(transcript),
    pending: resume ? transcript.length : 0,
    elapsed: () => elapsedBefore + Math.max(0, clock() - startedAt),
    budget: () => extendBudget(options.budget, state.budgetGranted ?? 0),
    async setPhase(phase) {
      if (state.phase === phase) return;
      await audit.record("agent.phase", { step: run.step, from: state.phase, to: phase });
      state.phase = phase;
      await options.progress?.phase(phase);
    },
  };
  return run;
}

/** A budget ran out: the run ends, unless a writer may extend it, when it pauses to ask. */
async function outOfBudget(
  run: LoopRun,
  options: AgentOptions,
  over: BudgetStop,
): Promise<AgentResult> {
  await run.audit.record("budget.exhausted", { step: run.step, ...over });
  // The run ends, or waits for a writer who may never come: the work so far goes first.
  await commitWorkSoFar(run, over);
  if (options.budgetExtension === undefined || !options.human) {
    return finish(run, "out_of_budget", { budgetStop: over });
  }
  // A writer may extend it: the pause is checkpointed with the step it follows.
  const pause = budgetPause(over, options.budget, options.budgetExtension, run.step);
  run.state.pause = pause;
  await checkpointStep(run, false);
  await options.human.pause(pause, run.signal);
  return finish(run, "paused", { pause });
}

/**
 * The work so far committed (and, under GitHub, pushed) as "WIP: …", with the limit that stops
 * the run in its body, before the run ends or pauses at a budget: nothing is lost at a limit.
 */
async function commitWorkSoFar(run: LoopRun, over: BudgetStop): Promise<void> {
  const diff = await run.verify.workspace.diff(run.signal);
  if (diff.trim() === "") return;
  const words = wipFromReply(run.summary, filesOfDiff(diff), over.message);
  await run.verify.milestones.checkpoint(
    { message: renderCommit(words), reason: "budget" },
    run.signal,
  );
}

interface Ending {
  budgetStop?: BudgetStop;
  /** The verification the step that finished the work already ran. */
  done?: Verified;
  pause?: PauseRequest;
  /** Why the run ended short of done (`cannot_fix`, `no_change`). */
  reason?: string;
}

async function finish(run: LoopRun, stop: AgentStop, ending: Ending = {}): Promise<AgentResult> {
  const { state } = run;
  const { budgetStop = null, done = null, pause = null, reason } = ending;
  let verification: VerificationRecord | null = null;
  let testWeakening: TestWeakening[] = [];
  // A paused run is not handed over: it goes on after the answer, so nothing is verified yet.
  if (stop !== "aborted" && stop !== "refusal" && stop !== "paused") {
    // What is handed over is verified as it is, however the loop stopped.
    // Stopped short of done (a budget, the context window): the commit says so ("WIP").
    const wip =
      stop === "completed" ? undefined : (budgetStop?.message ?? STOP_MESSAGES[stop as WordedStop]);
    const verified =
      done ?? (await verifyWork(run.verify, state, state.phase, { reply: run.summary, wip }));
    verification = verified.record;
    testWeakening = verified.testWeakening;
  }
  state.spent.elapsedMs = run.elapsed();
  const result: AgentResult = {
    stop,
    message:
      pause?.reason ??
      budgetStop?.message ??
      (stop === "cannot_fix"
        ? `Stamina stopped with checks it cannot fix: ${reason ?? "no reason given."}`
        : STOP_MESSAGES[stop as WordedStop]),
    ...(reason !== undefined ? { reason } : {}),
    budgetStop,
    steps: run.step,
    summary: run.summary,
    usage: { ...state.usage },
    spent: { ...state.spent },
    phase: state.phase,
    plan: state.plan,
    verification: verification?.aborted ? null : verification,
    testWeakening,
    ...(pause ? { pause } : {}),
    budget: run.budget(),
  };
  if (verification?.aborted) result.stop = "aborted";
  return result;
}
