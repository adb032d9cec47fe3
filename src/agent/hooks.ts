// Seams for what comes next (context management, memory, the watchdog): a
// request view built from the full transcript, and hooks that run after each
// step. The transcript itself is append-only; neither may rewrite it.
import type Anthropic from "@anthropic-ai/sdk";
import type { Phase } from "./phase.ts";
import type { AgentSnapshot } from "./ports.ts";

/**
 * What the model is sent for the next turn, built from the whole transcript. The default is
 * the transcript itself; a context manager returns a compacted or edited view instead. It
 * must keep every tool_use paired with its tool_result, as the API requires.
 */
export type RequestView = (
  transcript: readonly Anthropic.MessageParam[],
  state: Readonly<AgentSnapshot>,
) => Anthropic.MessageParam[];

export const wholeTranscript: RequestView = (transcript) => [...transcript];

export interface StepContext {
  step: number;
  phase: Phase;
  transcript: readonly Anthropic.MessageParam[];
  /** What this step appended to the transcript so far. */
  added: readonly Anthropic.MessageParam[];
  state: Readonly<AgentSnapshot>;
}

export interface HookResult {
  /** Text for the model's next turn (a watchdog's nudge), added to this step's last user message. */
  note?: string;
  /** The hook's own state, kept in the snapshot under its name. Plain JSON. */
  state?: unknown;
}

export interface StepHook {
  readonly name: string;
  /**
   * Runs after a step's tools and before its checkpoint, with the state it returned last time
   * (undefined at first). Must not throw: a hook that fails is recorded and skipped.
   */
  afterStep(context: StepContext, hookState: unknown): Promise<HookResult | undefined>;
}
