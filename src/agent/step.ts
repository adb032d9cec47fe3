// One step of the agent loop: the request built from the transcript and sent, the harness's
// response to the answer, the per-step hooks, the step's health event and its checkpoint. What
// the step appends goes to the transcript; whether the run goes on is for the loop to say.
import type Anthropic from "@anthropic-ai/sdk";
import { budgetLeftLine } from "./budget.ts";
import { recordHealth } from "./context/health.ts";
import { isPromptTooLong } from "./context/overflow.ts";
import { isContextView, type ContextView } from "./hooks.ts";
import { checkpointStep, spend, type LoopRun } from "./loop-run.ts";
import type { PauseRequest, PlanItem } from "./ports.ts";
import { respond, type Next, type StepReply } from "./respond.ts";
import { runStepHooks } from "./step-hooks.ts";
import { askModel, textOf } from "./turn.ts";
import { withSpan } from "../observability/tracing.ts";
import {
  ATTR_STAMINA_PHASE,
  ATTR_STAMINA_STEP,
  ATTR_STAMINA_STEP_NEXT,
} from "../observability/semconv.ts";

/** How a step leaves the run; "aborted" ends it before the step's checkpoint. */
export type StepEnd = Next | { kind: "aborted" };

interface Answer {
  message: Anthropic.Message;
  /** The request the answer is to, as the view built it. */
  built: ContextView;
  /** The plan when the request was sent: what the health event's `carries.plan` measures. */
  plan: readonly PlanItem[];
}

/** One step, in a span of its own: the model's call and the tool calls are its children. */
export function runStep(run: LoopRun): Promise<StepEnd> {
  run.step += 1;
  const attributes = { [ATTR_STAMINA_STEP]: run.step, [ATTR_STAMINA_PHASE]: run.state.phase };
  return withSpan(run.tracer, "step", { attributes }, async (span) => {
    const end = await stepOf(run);
    span.setAttribute(ATTR_STAMINA_STEP_NEXT, end.kind);
    return end;
  });
}

async function stepOf(run: LoopRun): Promise<StepEnd> {
  const added: Anthropic.MessageParam[] = [];
  const append = (message: Anthropic.MessageParam) => {
    run.transcript.push(message);
    added.push(message);
  };

  const answer = await askForStep(run);
  if (answer === "aborted") return { kind: "aborted" };
  const { message, built } = answer;
  built.onResponse?.(message);
  spend(run, message.usage);
  const text = textOf(message.content);
  if (text.length > 0) run.summary = text;
  append({ role: "assistant", content: message.content });
  if (run.signal.aborted) return { kind: "aborted" };

  const reply = await respond(run, message, built);
  if (reply === "aborted") return { kind: "aborted" };
  const pause = await afterHooks(run, added, reply);
  if (reply.blocks.length > 0) append({ role: "user", content: reply.blocks });
  await recordStepHealth(run, answer, reply.blocks);

  if (reply.next.kind === "go" && pause && !reply.asked) run.state.pause = pause;
  await checkpointStep(run, reply.touched);
  return reply.next;
}

/** The view built from the transcript, sent to the model; "aborted" if cancelled meanwhile. */
async function askForStep(run: LoopRun): Promise<Answer | "aborted"> {
  const { audit, step, state } = run;
  let built: ContextView = { messages: [] };
  // A prompt the API finds too long is made smaller, without a model call, and asked once more.
  for (let attempt = 0; ; attempt++) {
    try {
      const shaped = await run.view(run.transcript, state, { ...run.turn, step, audit });
      built = isContextView(shaped) ? shaped : { messages: shaped };
      for (const usage of built.spent ?? []) spend(run, usage);
      const message = await askModel(run.turn, step, built, {
        phase: state.phase,
        elapsedMs: run.elapsed(),
      });
      return { message, built, plan: [...state.plan] };
    } catch (error) {
      if (run.signal.aborted) return "aborted";
      // The view says how often it can still shrink; the attempts are a backstop.
      if (attempt < 3 && isPromptTooLong(error) && built.onOverflow?.("too_long") === true) {
        await audit.record("context.overflow", { step, reason: "too_long" });
        continue;
      }
      throw error;
    }
  }
}

/**
 * Runs the step hooks and adds their notes to the reply of a run that goes on. A call waiting
 * for a person holds the reply back in the state; a hook's pause is returned for the loop.
 */
async function afterHooks(
  run: LoopRun,
  added: readonly Anthropic.MessageParam[],
  reply: StepReply,
): Promise<PauseRequest | null> {
  const { state, step } = run;
  const { notes, pause } = await runStepHooks(run.hooks, run.audit, {
    step,
    phase: state.phase,
    transcript: run.transcript,
    added,
    state,
    calls: reply.ran,
    touched: reply.touched,
  });
  if (reply.next.kind !== "go") return pause;
  for (const note of notes) reply.blocks.push({ type: "text", text: note });
  // What is left, at the end of every reply the model reads: in the transcript, so the cache
  // keeps its prefix and a resumed run sends the same messages.
  if (reply.blocks.length > 0) {
    reply.blocks.push({ type: "text", text: budgetLeftLine(run.budget(), step, state.spent) });
  }
  if (reply.asked) {
    // The call waits for a person: its result (and the rest of this reply) is held back.
    const { request, toolUseId } = reply.asked;
    state.pause = { ...request, details: { ...request.details, step, toolUseId } };
    state.held = reply.blocks.splice(0);
  }
  return pause;
}

async function recordStepHealth(
  run: LoopRun,
  { message, built, plan }: Answer,
  sent: readonly Anthropic.ContentBlockParam[],
): Promise<void> {
  const results = sent.filter((b) => b.type === "tool_result");
  await recordHealth(run.audit, {
    step: run.step,
    usage: message.usage,
    stats: built.stats,
    sent: {
      messages: built.messages,
      system: built.system ?? run.turn.system,
      tools: run.turn.tools,
    },
    toolCalls: results.length,
    toolErrors: results.filter((b) => b.is_error === true).length,
    state: run.state,
    task: textOf(run.transcript[0]?.content ?? ""),
    plan,
  });
}
