// Seams for what comes next (context management, memory, the watchdog): a
// request view built from the full transcript, and hooks that run after each
// step. The transcript itself is append-only; neither may rewrite it.
import type Anthropic from "@anthropic-ai/sdk";
import type { Phase } from "./phase.ts";
import type { AgentSnapshot, AuditSink, PauseRequest } from "./ports.ts";
import type { ModelPort, ToolDefinition } from "../model/types.ts";
import type { ToolCallRecord } from "./turn.ts";

/**
 * What the model is sent for the next turn, built from the whole transcript. The default is
 * the transcript itself; a context manager returns a compacted or edited view instead. It
 * must keep every tool_use paired with its tool_result, as the API requires.
 */
export type RequestView = (
  transcript: readonly Anthropic.MessageParam[],
  state: Readonly<AgentSnapshot>,
  request?: ViewRequest,
) => Anthropic.MessageParam[] | ContextView | Promise<Anthropic.MessageParam[] | ContextView>;

/** What a view may use besides the transcript: the turn's own request, to ask for a summary. */
export interface ViewRequest {
  step: number;
  model: ModelPort;
  system: string;
  tools: ToolDefinition[];
  maxTokens: number;
  signal: AbortSignal;
  audit: AuditSink;
}

/** Facts about the request a view built, for the step's `context.health` event. */
export interface ContextStats {
  /** The request's size in bytes of JSON (messages, system and tools), as sent. */
  requestBytes: number;
  /** The same, estimated in tokens (bytes / 4): what the thresholds are counted in. */
  estimatedTokens: number;
  messages: number;
  /** Totals so far for the run. */
  compactions: number;
  clearings: number;
  [more: string]: unknown;
}

/**
 * A view with more than messages: the system prompt and tools with cache breakpoints, the betas
 * and server-side context management, and what the loop tells it back.
 */
export interface ContextView {
  messages: Anthropic.MessageParam[];
  system?: string | Anthropic.TextBlockParam[];
  tools?: ToolDefinition[];
  betas?: string[];
  contextManagement?: Anthropic.Beta.BetaContextManagementConfig;
  stats?: ContextStats;
  /** Usage of model calls the view made itself (a written summary), counted in the budgets. */
  spent?: Anthropic.Usage[];
  /** The model's answer to this request (server-side edits and compaction are reported on it). */
  onResponse?(message: Anthropic.Message): void;
  /**
   * The context overflowed (`model_context_window_exceeded`, or a 400 saying the prompt is too
   * long). True when the next view will be smaller without a model call, so the loop goes on.
   */
  onOverflow?(reason: "stop_reason" | "too_long"): boolean;
}

export function isContextView(view: Anthropic.MessageParam[] | ContextView): view is ContextView {
  return !Array.isArray(view);
}

export const wholeTranscript: RequestView = (transcript) => [...transcript];

export interface StepContext {
  step: number;
  phase: Phase;
  transcript: readonly Anthropic.MessageParam[];
  /** What this step appended to the transcript so far. */
  added: readonly Anthropic.MessageParam[];
  state: Readonly<AgentSnapshot>;
  /** The tool calls this step ran, in order, with their outcomes. */
  calls: readonly ToolCallRecord[];
  /** Some call of this step may have changed the worktree. */
  touched: boolean;
}

export interface HookResult {
  /** Text for the model's next turn (a watchdog's nudge), added to this step's last user message. */
  note?: string;
  /** The hook's own state, kept in the snapshot under its name. Plain JSON. */
  state?: unknown;
  /** Stop the run after this step's checkpoint, for a person to answer (the watchdog's pause). */
  pause?: PauseRequest;
}

export interface StepHook {
  readonly name: string;
  /**
   * Runs after a step's tools and before its checkpoint, with the state it returned last time
   * (undefined at first). Must not throw: a hook that fails is recorded and skipped.
   */
  afterStep(context: StepContext, hookState: unknown): Promise<HookResult | undefined>;
}
