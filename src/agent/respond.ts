// What the harness does with the model's answer, by its stop reason: run the tools it called,
// answer the calls of a turn that cannot go on without running them, ask it to continue, or,
// when it ends its turn, verify the work and move the phase on. The model's word never decides.
import type Anthropic from "@anthropic-ai/sdk";
import type { ContextView } from "./hooks.ts";
import type { LoopRun } from "./loop-run.ts";
import { cutOffToolUse } from "../model/stop-reasons.ts";
import { afterTurnEnded } from "./phases.ts";
import { renderPrompt } from "./prompts.ts";
import { runTools, textOf, toolCalls, type ToolRun } from "./turn.ts";
import type { Verified } from "./verification.ts";

/** How the step leaves the run: going on, done and verified, or stopped by the model. */
export type Next =
  | { kind: "go" }
  | { kind: "done"; verified: Verified }
  /** The harness accepted an end short of done: checks it cannot fix, or no change needed. */
  | { kind: "end"; stop: "cannot_fix" | "no_change"; reason: string; verified: Verified }
  | { kind: "stop"; stop: "refusal" | "context_window_exceeded" };

export interface StepReply {
  /** What the step answers with: tool results first, then any text for the next turn. */
  blocks: Anthropic.ContentBlockParam[];
  next: Next;
  /** Some call may have changed the worktree, or the harness verified it. */
  touched: boolean;
  ran: ToolRun["ran"];
  /** The call that waits for a person: its result is held back until the answer. */
  asked?: ToolRun["pause"];
}

const GO: Next = { kind: "go" };

/** The step's reply to `message`; "aborted" when the run was cancelled meanwhile. */
export async function respond(
  run: LoopRun,
  message: Anthropic.Message,
  built: ContextView,
): Promise<StepReply | "aborted"> {
  const calls = toolCalls(message);
  const stopReason = message.stop_reason;
  const recovers =
    stopReason === "model_context_window_exceeded" && built.onOverflow?.("stop_reason") === true;
  if (recovers) {
    // The context is made smaller for the next turn; the cut-off turn's calls are not run.
    await run.audit.record("context.overflow", { step: run.step, reason: "stop_reason" });
    const blocks = await answerUnrun(
      run,
      calls,
      "This tool call was not run: the conversation outgrew the context window and was compacted. Call it again if it is still needed.",
    );
    if (blocks.length === 0) blocks.push(continuePrompt());
    return { blocks, next: GO, touched: false, ran: [] };
  }
  if (stopReason === "refusal" || stopReason === "model_context_window_exceeded") {
    const stop = stopReason === "refusal" ? "refusal" : "context_window_exceeded";
    // Calls of a turn that ends the run are answered, not run: the transcript stays valid.
    const blocks = await answerUnrun(run, calls, "This tool call was not run: the run stopped.");
    return { blocks, next: { kind: "stop", stop }, touched: false, ran: [] };
  }
  if (calls.length > 0) {
    // tool_use; max_tokens, perhaps with a call cut off; a pause_turn that still called.
    return runCalls(run, message, calls);
  }
  if (stopReason === "max_tokens") {
    return { blocks: [continuePrompt()], next: GO, touched: false, ran: [] };
  }
  if (stopReason === "pause_turn") {
    // The server paused a long turn: sending the conversation back as it is lets it go on.
    return { blocks: [], next: GO, touched: false, ran: [] };
  }
  // end_turn, stop_sequence: the model says it is done. The harness checks.
  return endOfTurn(run, textOf(message.content));
}

function continuePrompt(): Anthropic.TextBlockParam {
  return { type: "text", text: renderPrompt("continue", {}).text };
}

/** Each call answered with `reason` and none run, so every tool_use keeps its tool_result. */
async function answerUnrun(
  run: LoopRun,
  calls: Anthropic.ToolUseBlock[],
  reason: string,
): Promise<Anthropic.ContentBlockParam[]> {
  const ran = await runTools(calls, run, { notRun: reason });
  return [...ran.results];
}

/** Runs the calls; a plan or an edit moves an orienting run on to implement. */
async function runCalls(
  run: LoopRun,
  message: Anthropic.Message,
  calls: Anthropic.ToolUseBlock[],
): Promise<StepReply | "aborted"> {
  const ran = await runTools(calls, run, { cutOff: cutOffToolUse(message) });
  if (run.signal.aborted) return "aborted";
  const planned = ran.ran.some((r) => r.name === "update_plan" && !r.isError);
  const edited = ran.ran.some((r) => r.name === "str_replace_based_edit_tool" && !r.readOnly);
  if (run.state.phase === "orient" && (planned || edited)) await run.setPhase("implement");
  return {
    blocks: [...ran.results],
    next: GO,
    touched: ran.touched,
    ran: ran.ran,
    ...(ran.pause ? { asked: ran.pause } : {}),
  };
}

/** Where the snapshot keeps that `beforeDone` was asked. */
const BEFORE_DONE = "before_done";

/**
 * The harness verifies the work as it is and decides the next phase; the first time, it asks
 * `beforeDone` whether the task still lacks something, and sends that back instead.
 */
async function endOfTurn(run: LoopRun, text: string): Promise<StepReply | "aborted"> {
  if (run.beforeDone && run.state.hooks[BEFORE_DONE] !== true) {
    const prompt = await run.beforeDone();
    if (prompt !== null) {
      run.state.hooks[BEFORE_DONE] = true;
      await run.audit.record("agent.reminded", { step: run.step, prompt });
      return { blocks: [{ type: "text", text: prompt }], next: GO, touched: false, ran: [] };
    }
  }
  const move = await afterTurnEnded(run.verify, run.state, (phase) => run.setPhase(phase), {
    text,
    confirmNoChange: run.confirmNoChange,
  });
  if (move.kind === "aborted") return "aborted";
  if (move.kind === "done") {
    return { blocks: [], next: { kind: "done", verified: move.verified }, touched: true, ran: [] };
  }
  if (move.kind === "end") {
    const { stop, reason, verified } = move;
    return { blocks: [], next: { kind: "end", stop, reason, verified }, touched: true, ran: [] };
  }
  return {
    blocks: [{ type: "text", text: move.prompt }],
    next: GO,
    touched: true,
    ran: [],
  };
}
