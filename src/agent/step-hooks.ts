// Runs the per-step hooks in order, keeping each one's state in the snapshot
// and collecting the notes they leave for the model. A hook that throws is
// recorded and skipped: a watchdog's bug must not end the run. A hook may ask
// for a pause; the first one asked is the one the loop honours.
import type { StepContext, StepHook } from "./hooks.ts";
import type { AgentSnapshot, AuditSink, PauseRequest } from "./ports.ts";

export interface HooksOutcome {
  notes: string[];
  pause: PauseRequest | null;
}

export async function runStepHooks(
  hooks: readonly StepHook[],
  audit: AuditSink,
  context: StepContext & { state: AgentSnapshot },
): Promise<HooksOutcome> {
  const notes: string[] = [];
  let pause: PauseRequest | null = null;
  for (const hook of hooks) {
    try {
      const result = await hook.afterStep(context, context.state.hooks[hook.name]);
      if (result?.state !== undefined) context.state.hooks[hook.name] = result.state;
      if (result?.note !== undefined && result.note.trim() !== "") {
        notes.push(result.note);
        await audit.record("hook.note", { step: context.step, hook: hook.name, note: result.note });
      }
      if (result?.pause !== undefined) pause ??= result.pause;
    } catch (error) {
      await audit.record("hook.failed", {
        step: context.step,
        hook: hook.name,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return { notes, pause };
}
