// The model port: what the agent loop asks of a model (one streamed turn, its
// price, its retries), defined here, below the agent, so any provider's client
// in this folder implements it without importing the loop.
import type Anthropic from "@anthropic-ai/sdk";

/** The tool kinds the loop offers: Anthropic-defined ones and our own with JSON schemas. */
export type ToolDefinition =
  | Anthropic.ToolBash20250124
  | Anthropic.ToolTextEditor20250728
  | Anthropic.MemoryTool20250818
  | Anthropic.Tool;

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
interface ModelCallHooks {
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
   * Its usage counts what the call is billed for: when the API compacted the prompt, the
   * compaction iteration's tokens are added to the top-level counts (see usage.ts).
   */
  complete(
    request: ModelRequest,
    signal?: AbortSignal,
    hooks?: ModelCallHooks,
  ): Promise<Anthropic.Message>;
}
