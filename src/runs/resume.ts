// Where a run picks up after it stopped mid-way: the transcript and state of
// its last step checkpoint, and the step that was running when its worker
// died (run again, and said so in the audit log: `step.retried`).
import type { AgentResume, AuditSink } from "../agent/ports.ts";
import type { AuditEvent } from "../audit/types.ts";
import type { StoredCheckpoint } from "../store/types.ts";

/** Events that belong to one step of the agent's loop carry its number in `data.step`. */
const STEP_EVENTS = new Set(["model.request", "model.response", "tool.call", "tool.result"]);

export function agentResume(
  checkpoint: StoredCheckpoint | undefined,
  /** A person's answer to the pause at the checkpoint's step, for the next turn to read. */
  answer?: AgentResume["answer"],
  /** A writer's decision on the approval the run asked for last. */
  decision?: AgentResume["decision"],
): AgentResume | undefined {
  if (!checkpoint) return undefined;
  return {
    step: checkpoint.step,
    messages: checkpoint.messages,
    state: checkpoint.state,
    ...(answer ? { answer } : {}),
    ...(decision ? { decision } : {}),
  };
}

/**
 * The step an earlier attempt started after the checkpoint at `afterStep` and did not finish,
 * with the number of events it left; null when no step was under way.
 */
function interruptedStep(
  events: AuditEvent[],
  afterStep: number,
): { step: number; events: number } | null {
  const step = afterStep + 1;
  let count = 0;
  let lastStart = -1;
  for (const [i, e] of events.entries()) {
    if (e.type === "agent.start") lastStart = i;
    if (STEP_EVENTS.has(e.type) && e.data.step === step) count++;
  }
  // Only events of the latest attempt's loop count; an earlier retry is already recorded.
  const sinceStart = events.slice(lastStart + 1);
  const started = sinceStart.some((e) => STEP_EVENTS.has(e.type) && e.data.step === step);
  const recorded = sinceStart.some((e) => e.type === "step.retried" && e.data.step === step);
  return started && !recorded ? { step, events: count } : null;
}

/** Records the re-executed step before the loop runs it again; nothing earlier is touched. */
export async function recordRetriedStep(
  audit: AuditSink,
  events: AuditEvent[],
  afterStep: number,
  attempt: number,
): Promise<void> {
  const interrupted = interruptedStep(events, afterStep);
  if (!interrupted) return;
  await audit.record("step.retried", {
    step: interrupted.step,
    attempt,
    reason: "the worker running this step stopped before the step's checkpoint",
    earlierEvents: interrupted.events,
  });
}
