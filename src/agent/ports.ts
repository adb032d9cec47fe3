// The ports through which the agent loop reaches the world. The loop knows
// nothing of GitHub, git or processes: a webhook run, a local run and a test
// each plug their own implementations in here.
import type Anthropic from "@anthropic-ai/sdk";

export interface ModelRequest {
  /** Plain text, or blocks when a cache breakpoint (`cache_control`) sits on the system prompt. */
  system: string | Anthropic.TextBlockParam[];
  messages: Anthropic.MessageParam[];
  tools: ToolDefinition[];
  maxTokens: number;
  /** Beta features the request opts into (`anthropic-beta`), e.g. `context-management-2025-06-27`. */
  betas?: string[];
  /**
   * Server-side context editing and compaction (`clear_tool_uses_20250919`, `compact_20260112`),
   * passed through as given; it needs its beta in `betas`.
   */
  contextManagement?: Anthropic.Beta.BetaContextManagementConfig;
  /** A top-level cache breakpoint, which the API places on the last cacheable block itself. */
  cacheControl?: Anthropic.CacheControlEphemeral;
}

/** One retry of a model call, reported before its wait starts, for the audit log. */
export interface ModelRetry {
  /** 1 for the first retry. */
  attempt: number;
  /** The HTTP status, when the server answered; undefined for a connection error or a stream cut off. */
  status: number | undefined;
  /** The API's error type (`overloaded_error`, `rate_limit_error`), when it said one. */
  errorType: string | undefined;
  /** The error's own message, for people reading the log. */
  message: string;
  /** How long this wait lasts. */
  waitMs: number;
  /** Time since the call's first attempt. */
  elapsedMs: number;
}

/** What a caller may hear about one call while it runs. */
export interface ModelCallHooks {
  /** Awaited before each wait; a rejection ends the call with that error. */
  onRetry?: (retry: ModelRetry) => void | Promise<void>;
}

export interface ModelPort {
  /** The model id as the provider names it, recorded in the audit log. */
  readonly model: string;
  /** Dollars for one response's usage, from the model's price table (cache reads and writes included). */
  cost(usage: Anthropic.Usage): number;
  /**
   * One streamed model turn, returned whole, whatever its stop reason. The same request is sent
   * again while the model is overloaded or unreachable, within the retry window. Rejects on abort
   * (the SDK's APIUserAbortError), or with the SDK's last error once the window is spent.
   */
  complete(
    request: ModelRequest,
    signal?: AbortSignal,
    hooks?: ModelCallHooks,
  ): Promise<Anthropic.Message>;
}

/** Appends events to the run's audit chain. Data is redacted by the sink. */
export interface AuditSink {
  record(type: string, data: Record<string, unknown>): Promise<void>;
}

export interface ToolOutcome {
  /** What the model sees. */
  output: string;
  isError: boolean;
  /** Extra facts for the audit event (exit code, duration, saved output path). */
  details?: Record<string, unknown>;
}

/** The tool kinds the loop offers: Anthropic-defined ones and our own with JSON schemas. */
export type ToolDefinition =
  Anthropic.ToolBash20250124 | Anthropic.ToolTextEditor20250728 | Anthropic.Tool;

/**
 * The loop's own state besides the transcript (usage so far; later the phase, the plan, the
 * budgets spent, the watchdog's window). Plain JSON: the harness persists it verbatim after
 * every step and hands it back on resume, without looking inside.
 */
export interface AgentSnapshot {
  usage: AgentUsage;
  [key: string]: unknown;
}

export interface AgentUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/**
 * What one finished step hands the harness, to persist before the next step starts. The
 * transcript is append-only: `added` holds only the messages this step appended, in order.
 */
export interface StepCheckpoint {
  step: number;
  added: Anthropic.MessageParam[];
  state: AgentSnapshot;
}

/** Where a resumed run picks up: every message of the checkpoints so far, and the last state. */
export interface AgentResume {
  /** Steps already done; the loop continues at `step + 1`. */
  step: number;
  messages: Anthropic.MessageParam[];
  state: AgentSnapshot;
}

export interface Tool {
  readonly definition: ToolDefinition;
  /** Must not throw for bad input: it answers with an error outcome the model can act on. */
  execute(input: unknown, signal: AbortSignal): Promise<ToolOutcome>;
}
