// The agent loop: ask the model, run the tools it calls, and when it ends its
// turn let the harness verify and move the phase on, until the work is done,
// a budget runs out or the model stops. After every step the harness gets the
// messages the step added and the loop's state, and a resumed loop carries on
// from them as if it had never stopped. The loop reaches the world only
// through its ports, so a webhook run, `stamina run` and a test share it.
import type Anthropic from "@anthropic-ai/sdk";
import {
  addUsage,
  exhaustedBudget,
  extendBudget,
  tokensOf,
  type Budget,
  type BudgetStop,
} from "./budget.ts";
import { recordHealth } from "./context/health.ts";
import { isPromptTooLong } from "./context/overflow.ts";
import {
  isContextView,
  wholeTranscript,
  type ContextView,
  type RequestView,
  type StepHook,
} from "./hooks.ts";
import type { Phase } from "./phase.ts";
import { afterTurnEnded } from "./phases.ts";
import type {
  AgentResume,
  AgentSnapshot,
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
import { cutOffToolUse } from "../model/stop-reasons.ts";
import { renderPrompt } from "./prompts.ts";
import { initialSnapshot, restoreSnapshot } from "./snapshot.ts";
import { runStepHooks } from "./step-hooks.ts";
import type { TestWeakening } from "./test-integrity.ts";
import { budgetPause, deniedExtension, takeUp } from "./take-up.ts";
import { createAskHumanTool } from "./tools/ask-human.ts";
import { createCheckpointTool } from "./tools/checkpoint.ts";
import { createRunChecksTool } from "./tools/run-checks.ts";
import { createUpdatePlanTool } from "./tools/update-plan.ts";
import { askModel, lastAssistantText, runTools, textOf, toolCalls, type ToolRun } from "./turn.ts";
import { verifyWork, type Verified } from "./verification.ts";

export { clip } from "./turn.ts";
export type { AgentUsage } from "./ports.ts";

export type AgentStop =
  | "completed"
  | "out_of_budget"
  | "context_window_exceeded"
  | "refusal"
  | "aborted"
  /** Waiting for a person (a watchdog pause): the run resumes from its last checkpoint. */
  | "paused";

export interface AgentResult {
  stop: AgentStop;
  /** Why the loop stopped, in words for the pull request or the terminal. */
  message: string;
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
}

const STOP_MESSAGES: Record<Exclude<AgentStop, "out_of_budget" | "paused">, string> = {
  completed: "Stamina finished the work.",
  context_window_exceeded:
    "The conversation outgrew the model's context window before the work was finished; this is the work so far.",
  refusal: "The model declined to work on this task.",
  aborted: "The run was cancelled.",
};

export async function runAgent(options: AgentOptions): Promise<AgentResult> {
  const { model, audit, signal } = options;
  const clock = options.clock ?? Date.now;
  const view = options.view ?? wholeTranscript;
  const resume = options.resume;
  const transcript: Anthropic.MessageParam[] = resume
    ? [...resume.messages]
    : [{ role: "user", content: options.task }];
  const state: AgentSnapshot = resume ? restoreSnapshot(resume.state) : initialSnapshot();
  // The budget counted against: the configured one, with the extensions writers approved.
  const budget = () => extendBudget(options.budget, state.budgetGranted ?? 0);
  // Wall time counts only while the loop runs: a stopped run's downtime is not spent.
  const startedAt = clock();
  const elapsedBefore = state.spent.elapsedMs;
  const elapsed = () => elapsedBefore + Math.max(0, clock() - startedAt);
  let summary = lastAssistantText(transcript);
  // Messages not yet handed to onStep: the task itself goes out with the first step.
  let pending = resume ? transcript.length : 0;
  let step = resume?.step ?? 0;

  const setPhase = async (phase: Phase) => {
    if (state.phase === phase) return;
    await audit.record("agent.phase", { step, from: state.phase, to: phase });
    state.phase = phase;
    await options.progress?.phase(phase);
  };
  const tools = new Map<string, Tool>();
  for (const tool of [
    ...options.tools,
    createRunChecksTool(options.checks),
    createCheckpointTool(options.milestones),
    createAskHumanTool(options.human?.answers === true),
    createUpdatePlanTool(async (plan) => {
      state.plan = plan;
      await options.progress?.plan(plan);
    }),
  ]) {
    tools.set(tool.definition.name, tool);
  }
  const turn = {
    model,
    audit,
    system: options.system,
    tools: [...tools.values()].map((t) => t.definition),
    maxTokens: options.maxTokens,
    signal,
  };
  const verifyContext = {
    checks: options.checks,
    workspace: options.workspace,
    milestones: options.milestones,
    audit,
    signal,
  };

  const finish = async (
    stop: AgentStop,
    budgetStop: BudgetStop | null = null,
    done: Verified | null = null,
    pause: PauseRequest | null = null,
  ) => {
    let verification: VerificationRecord | null = null;
    let testWeakening: TestWeakening[] = [];
    // A paused run is not handed over: it goes on after the answer, so nothing is verified yet.
    if (stop !== "aborted" && stop !== "refusal" && stop !== "paused") {
      // What is handed over is verified as it is, however the loop stopped.
      const verified = done ?? (await verifyWork(verifyContext, state, state.phase));
      verification = verified.record;
      testWeakening = verified.testWeakening;
    }
    state.spent.elapsedMs = elapsed();
    const result: AgentResult = {
      stop,
      message:
        pause?.reason ??
        budgetStop?.message ??
        STOP_MESSAGES[stop as Exclude<AgentStop, "out_of_budget" | "paused">],
      budgetStop,
      steps: step,
      summary,
      usage: { ...state.usage },
      spent: { ...state.spent },
      phase: state.phase,
      plan: state.plan,
      verification: verification?.aborted ? null : verification,
      testWeakening,
      ...(pause ? { pause } : {}),
      budget: budget(),
    };
    if (verification?.aborted) result.stop = "aborted";
    return result;
  };

  const taken = await takeUp(state, resume, {
    audit,
    milestones: options.milestones,
    signal,
    step,
  });
  if (taken.kind === "wait") {
    // Stopped at a pause nobody has answered (its comment may never have been posted): say it again.
    state.pause = taken.pause;
    await options.human?.pause(taken.pause, signal);
    return finish("paused", null, null, taken.pause);
  }
  if (taken.kind === "out_of_budget") {
    return finish("out_of_budget", deniedExtension(taken.pause));
  }
  if (taken.message) transcript.push(taken.message);

  for (;;) {
    if (signal.aborted) return finish("aborted");
    const over = exhaustedBudget(budget(), step, { ...state.spent, elapsedMs: elapsed() });
    if (over) {
      await audit.record("budget.exhausted", { step, ...over });
      if (options.budgetExtension === undefined || !options.human) {
        return finish("out_of_budget", over);
      }
      // A writer may extend it: the pause is checkpointed with the step it follows.
      state.pause = budgetPause(over, options.budget, options.budgetExtension, step);
      state.spent.elapsedMs = elapsed();
      const handed = transcript.slice(pending);
      pending = transcript.length;
      await options.onStep?.({
        step,
        added: handed,
        state: structuredClone(state),
        touched: false,
      });
      await options.human.pause(state.pause, signal);
      return finish("paused", null, null, state.pause);
    }
    step += 1;
    const added: Anthropic.MessageParam[] = [];
    const append = (message: Anthropic.MessageParam) => {
      transcript.push(message);
      added.push(message);
    };

    const spend = (usage: Anthropic.Usage) => {
      addUsage(state.usage, usage);
      state.spent.tokens += tokensOf(usage);
      state.spent.dollars += model.cost(usage);
    };
    let message: Anthropic.Message | undefined;
    let built: ContextView = { messages: [] };
    // A prompt the API finds too long is made smaller, without a model call, and asked once more.
    for (let attempt = 0; message === undefined; attempt++) {
      try {
        const shaped = await view(transcript, state, { ...turn, step, audit });
        built = isContextView(shaped) ? shaped : { messages: shaped };
        for (const usage of built.spent ?? []) spend(usage);
        message = await askModel(turn, step, built, {
          phase: state.phase,
          elapsedMs: elapsed(),
        });
      } catch (error) {
        if (signal.aborted) return finish("aborted");
        // The view says how often it can still shrink; the attempts are a backstop.
        if (attempt < 3 && isPromptTooLong(error) && built.onOverflow?.("too_long") === true) {
          await audit.record("context.overflow", { step, reason: "too_long" });
          continue;
        }
        throw error;
      }
    }
    built.onResponse?.(message);
    spend(message.usage);
    const text = textOf(message.content);
    if (text.length > 0) summary = text;
    append({ role: "assistant", content: message.content });
    if (signal.aborted) return finish("aborted");

    // What the step answers with: tool results first, then any text for the next turn.
    const reply: Anthropic.ContentBlockParam[] = [];
    const say = (prompt: string) => reply.push({ type: "text", text: prompt });
    let touched = false;
    let next: "go" | "done" | AgentStop = "go";
    let done: Verified | null = null;
    let ran: ToolRun["ran"] = [];
    let asked: ToolRun["pause"];
    const calls = toolCalls(message);
    const stopReason = message.stop_reason;
    const recovers =
      stopReason === "model_context_window_exceeded" && built.onOverflow?.("stop_reason") === true;
    if (recovers) {
      // The context is made smaller for the next turn; the cut-off turn's calls are not run.
      await audit.record("context.overflow", { step, reason: "stop_reason" });
      const run = await runTools(calls, tools, audit, signal, step, {
        notRun:
          "This tool call was not run: the conversation outgrew the context window and was compacted. Call it again if it is still needed.",
      });
      reply.push(...run.results);
      if (run.results.length === 0) say(renderPrompt("continue", {}).text);
    } else if (stopReason === "refusal" || stopReason === "model_context_window_exceeded") {
      next = stopReason === "refusal" ? "refusal" : "context_window_exceeded";
      // Calls of a turn that ends the run are answered, not run: the transcript stays valid.
      const run = await runTools(calls, tools, audit, signal, step, {
        notRun: "This tool call was not run: the run stopped.",
      });
      reply.push(...run.results);
    } else if (calls.length > 0) {
      // tool_use; max_tokens, perhaps with a call cut off; a pause_turn that still called.
      const run = await runTools(calls, tools, audit, signal, step, {
        cutOff: cutOffToolUse(message),
      });
      if (signal.aborted) return finish("aborted");
      reply.push(...run.results);
      touched = run.touched;
      ran = run.ran;
      asked = run.pause;
      const planned = run.ran.some((r) => r.name === "update_plan" && !r.isError);
      const edited = run.ran.some((r) => r.name === "str_replace_based_edit_tool" && !r.readOnly);
      if (state.phase === "orient" && (planned || edited)) await setPhase("implement");
    } else if (stopReason === "max_tokens") {
      say(renderPrompt("continue", {}).text);
    } else if (stopReason === "pause_turn") {
      // The server paused a long turn: sending the conversation back as it is lets it go on.
    } else {
      // end_turn, stop_sequence: the model says it is done. The harness checks.
      const move = await afterTurnEnded(verifyContext, state, setPhase);
      touched = true;
      if (move.kind === "aborted") return finish("aborted");
      if (move.kind === "done") {
        next = "done";
        done = move.verified;
      } else say(move.prompt);
    }

    const { notes, pause } = await runStepHooks(options.hooks ?? [], audit, {
      step,
      phase: state.phase,
      transcript,
      added,
      state,
      calls: ran,
      touched,
    });
    if (next === "go") for (const note of notes) say(note);
    if (next === "go" && asked) {
      // The call waits for a person: its result (and the rest of this reply) is held back.
      state.pause = {
        ...asked.request,
        details: { ...asked.request.details, step, toolUseId: asked.toolUseId },
      };
      state.held = reply.splice(0);
    }
    if (reply.length > 0) append({ role: "user", content: reply });
    const results = reply.filter((b) => b.type === "tool_result");
    await recordHealth(audit, {
      step,
      usage: message.usage,
      stats: built.stats,
      sent: { messages: built.messages, system: built.system ?? turn.system, tools: turn.tools },
      toolCalls: results.length,
      toolErrors: results.filter((b) => b.is_error === true).length,
      state,
    });

    if (next === "go" && pause && !asked) state.pause = pause;
    state.spent.elapsedMs = elapsed();
    const handed = transcript.slice(pending);
    pending = transcript.length;
    await options.onStep?.({ step, added: handed, state: structuredClone(state), touched });
    if (next === "done") return finish("completed", null, done);
    if (next !== "go") return finish(next);
    if (state.pause) {
      // The step is checkpointed with the pause: the run picks up from here once answered.
      await options.human?.pause(state.pause, signal);
      return finish("paused", null, null, state.pause);
    }
  }
}
