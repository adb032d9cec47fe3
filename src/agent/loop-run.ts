// What one call of runAgent works on, shared by its stages (the step, the harness's response to
// the model's answer, the stop): the ports it was given, the transcript and state it keeps, the
// wall time it counts, and the step checkpoint it hands to the harness.
import type Anthropic from "@anthropic-ai/sdk";
import { addUsage, tokensOf, type Budget } from "./budget.ts";
import type { RequestView, StepHook } from "./hooks.ts";
import type { Phase } from "./phase.ts";
import type {
  AgentSnapshot,
  AuditSink,
  ChecksPort,
  HumanPort,
  MilestonePort,
  ProgressPort,
  StepCheckpoint,
  Tool,
} from "./ports.ts";
import type { ModelPort } from "../model/types.ts";
import type { Tracer } from "../observability/tracing.ts";
import { mayAskAgain } from "./commit-message.ts";
import { createAskHumanTool } from "./tools/ask-human.ts";
import { createCheckpointTool } from "./tools/checkpoint.ts";
import { createRunChecksTool } from "./tools/run-checks.ts";
import { createUpdatePlanTool } from "./tools/update-plan.ts";
import type { TurnRequest } from "./turn.ts";
import type { VerifyContext } from "./verification.ts";

export interface LoopRun {
  readonly model: ModelPort;
  readonly audit: AuditSink;
  readonly signal: AbortSignal;
  /** Each step and tool call a span (a no-op one when traces are off). */
  readonly tracer: Tracer;
  readonly view: RequestView;
  readonly hooks: readonly StepHook[];
  readonly human: HumanPort | undefined;
  /** Asked once when the model first ends its turn (AgentOptions.beforeDone). */
  readonly beforeDone: (() => Promise<string | null>) | undefined;
  readonly onStep: ((checkpoint: StepCheckpoint) => void | Promise<void>) | undefined;
  /** The worktree's tools and the harness's own, by name. */
  readonly tools: Map<string, Tool>;
  /** What every turn asks with unless the view says otherwise. */
  readonly turn: TurnRequest;
  readonly verify: VerifyContext;
  /** An empty diff after a text-only turn is asked about once before it counts as done. */
  readonly confirmNoChange: boolean;
  /** The whole conversation, only ever appended to; the view sent to the model is built from it. */
  readonly transcript: Anthropic.MessageParam[];
  readonly state: AgentSnapshot;
  step: number;
  /** The model's last text: the summary it wrote for the pull request. */
  summary: string;
  /** Messages not yet handed to onStep: the task itself goes out with the first step. */
  pending: number;
  /** Wall time spent by the run, this call and the ones before it. */
  elapsed(): number;
  /** The budget counted against: the configured one, with the extensions writers approved. */
  budget(): Budget;
  setPhase(phase: Phase): Promise<void>;
}

export interface HarnessPorts {
  checks: ChecksPort;
  milestones: MilestonePort;
  human?: HumanPort;
  progress?: ProgressPort;
}

/** The worktree's tools with the harness's own added, by name; the plan lands in `state`. */
export function toolsByName(
  worktreeTools: readonly Tool[],
  ports: HarnessPorts,
  state: AgentSnapshot,
): Map<string, Tool> {
  const tools = new Map<string, Tool>();
  for (const tool of [
    ...worktreeTools,
    createRunChecksTool(ports.checks),
    createCheckpointTool(ports.milestones, () => mayAskAgain(state.hooks)),
    createAskHumanTool(ports.human?.answers === true),
    createUpdatePlanTool(async (plan) => {
      state.plan = plan;
      await ports.progress?.plan(plan);
    }),
  ]) {
    tools.set(tool.definition.name, tool);
  }
  return tools;
}

/** A model call's usage, counted in the run's usage and against its token and dollar budgets. */
export function spend(run: LoopRun, usage: Anthropic.Usage): void {
  addUsage(run.state.usage, usage);
  run.state.spent.tokens += tokensOf(usage);
  run.state.spent.dollars += run.model.cost(usage);
}

/** Hands the step's new messages and a copy of the state to onStep, which persists them. */
export async function checkpointStep(run: LoopRun, touched: boolean): Promise<void> {
  run.state.spent.elapsedMs = run.elapsed();
  const handed = run.transcript.slice(run.pending);
  run.pending = run.transcript.length;
  await run.onStep?.({
    step: run.step,
    added: handed,
    state: structuredClone(run.state),
    touched,
  });
}
