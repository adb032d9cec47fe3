// The ports through which the agent loop reaches the world. The loop knows
// nothing of GitHub, git or processes: a webhook run, a local run and a test
// each plug their own implementations in here.
import type Anthropic from "@anthropic-ai/sdk";

export interface ModelRequest {
  system: string;
  messages: Anthropic.MessageParam[];
  tools: ToolDefinition[];
  maxTokens: number;
}

export interface ModelPort {
  /** The model id as the provider names it, recorded in the audit log. */
  readonly model: string;
  /** Dollars for one response's usage, from the model's price table (cache reads and writes included). */
  cost(usage: Anthropic.Usage): number;
  /** One streamed model turn, returned whole. Rejects on abort or when retries are exhausted. */
  complete(request: ModelRequest, signal?: AbortSignal): Promise<Anthropic.Message>;
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
