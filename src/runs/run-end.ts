// How an attempt at a run ends, for the operators: the run's end line in the log (its state, how
// long it took, its steps, tokens and dollars) and the same figures on the run's span. A run
// that stops to wait for a person says so instead; it ends later, on another attempt.
import type { Span } from "@opentelemetry/api";
import type { AgentUsage, Spent } from "../agent/ports.ts";
import type { Logger } from "../observability/logger.ts";
import {
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_STAMINA_RUN_DOLLARS,
  ATTR_STAMINA_RUN_STATE,
  ATTR_STAMINA_RUN_STEPS,
} from "../observability/semconv.ts";
import { markFailed } from "../observability/tracing.ts";
import { TERMINAL_STATES } from "../store/schema.ts";
import type { Run } from "../store/types.ts";

/** What a run has spent so far, all its attempts together. */
export interface RunSpent {
  steps: number;
  /** Every token the model read or wrote, as the token budget counts them. */
  tokens: number;
  dollars: number;
  usage: AgentUsage;
}

/** The figures of a step checkpoint's state, or of the agent's outcome. */
export function spentOf(steps: number, state: { spent: Spent; usage: AgentUsage }): RunSpent {
  return { steps, tokens: state.spent.tokens, dollars: state.spent.dollars, usage: state.usage };
}

const NOTHING: AgentUsage = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
};

const WAITS: Partial<Record<Run["state"], string>> = {
  awaiting_reply: "the run waits for an answer on GitHub; its worker lets go of it",
  awaiting_approval:
    "the run waits for a writer's /stamina approve or deny; its worker lets go of it",
};

/**
 * The attempt's end, on the run's span and in the log: at a terminal state, the run's end line
 * (once per run); waiting for a person, a line that says so. `seen` is what the attempt last
 * heard the run had spent (a restored checkpoint, a step), for a run that ended before its
 * agent did.
 */
export function recordRunEnd(
  log: Logger,
  span: Span,
  run: Run,
  seen: RunSpent | undefined,
  now: Date,
): void {
  const spent = run.agentOutcome
    ? spentOf(run.agentOutcome.steps, run.agentOutcome)
    : (seen ?? { steps: run.stepsUsed, tokens: 0, dollars: 0, usage: NOTHING });
  const dollars = Math.round(spent.dollars * 10_000) / 10_000;
  const { usage } = spent;
  span.setAttributes({
    [ATTR_STAMINA_RUN_STATE]: run.state,
    [ATTR_STAMINA_RUN_STEPS]: spent.steps,
    [ATTR_STAMINA_RUN_DOLLARS]: dollars,
    [ATTR_GEN_AI_USAGE_INPUT_TOKENS]:
      usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens,
    [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: usage.outputTokens,
  });
  if (run.state === "failed") markFailed(span, "run_failed");
  if (!TERMINAL_STATES.includes(run.state)) {
    const waits = WAITS[run.state];
    if (waits !== undefined) log.info({ state: run.state }, waits);
    return;
  }
  const end = Date.parse(run.finishedAt ?? now.toISOString());
  log.info(
    {
      state: run.state,
      durationMs: Math.max(0, end - Date.parse(run.createdAt)),
      steps: spent.steps,
      tokens: spent.tokens,
      dollars,
      attempts: run.attempts,
      ...(run.outcome === null ? {} : { reason: run.outcome }),
    },
    `run ended: ${run.state}`,
  );
}
