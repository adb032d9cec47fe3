// One model turn and the tool calls it makes, each an audit event. The
// response event keeps the whole content (redacted by the sink), which is
// what `stamina replay` feeds back; the text and tool names are for people.
import type Anthropic from "@anthropic-ai/sdk";
import type { AuditSink, PauseRequest, Tool, ToolOutcome } from "./ports.ts";
import type { ModelPort, ModelRequest, ToolDefinition } from "../model/types.ts";
import { markFailed, NO_TRACER, withSpan, type Tracer } from "../observability/tracing.ts";
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_NAME,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
} from "../observability/semconv.ts";

/** How much of a text or a tool's output the audit event shows (the model saw more). */
const AUDIT_OUTPUT_CHARS = 4_000;

export interface TurnRequest {
  model: ModelPort;
  audit: AuditSink;
  system: string;
  tools: ToolDefinition[];
  maxTokens: number;
  signal: AbortSignal;
}

/** A request as a context view shaped it: the messages, and what it sets besides. */
export type RequestParts = Pick<ModelRequest, "messages"> &
  Partial<Pick<ModelRequest, "system" | "tools" | "betas" | "contextManagement">>;

export async function askModel(
  req: TurnRequest,
  step: number,
  parts: Anthropic.MessageParam[] | RequestParts,
  facts: Record<string, unknown>,
): Promise<Anthropic.Message> {
  const shaped = Array.isArray(parts) ? { messages: parts } : parts;
  const { messages } = shaped;
  await req.audit.record("model.request", {
    step,
    model: req.model.model,
    messages: messages.length,
    ...facts,
  });
  const message = await req.model.complete(
    {
      system: shaped.system ?? req.system,
      messages,
      tools: shaped.tools ?? req.tools,
      maxTokens: req.maxTokens,
      ...(shaped.betas ? { betas: shaped.betas } : {}),
      ...(shaped.contextManagement ? { contextManagement: shaped.contextManagement } : {}),
    },
    req.signal,
    // An overloaded or unreachable model is retried by the port; each wait is on the record.
    { onRetry: (retry) => req.audit.record("model.retry", { step, ...retry }) },
  );
  const calls = toolCalls(message);
  await req.audit.record("model.response", {
    step,
    id: message.id,
    stopReason: message.stop_reason,
    usage: message.usage,
    cost: req.model.cost(message.usage),
    text: clip(textOf(message.content), AUDIT_OUTPUT_CHARS),
    toolCalls: calls.map((c) => ({ id: c.id, name: c.name })),
    content: message.content,
  });
  return message;
}

export function toolCalls(message: Anthropic.Message): Anthropic.ToolUseBlock[] {
  return message.content.filter((b): b is Anthropic.ToolUseBlock => b.type === "tool_use");
}

export interface ToolRun {
  results: Anthropic.ToolResultBlockParam[];
  /** Some call may have changed the worktree. */
  touched: boolean;
  /** The calls by name, with whether each only read. */
  ran: ToolCallRecord[];
  /** The first call that waits for a person, with what it asks: its tool_result is held back. */
  pause?: { request: PauseRequest; toolUseId: string };
}

/**
 * Runs the calls in order. A call the reply was cut off in the middle of (`cutOff`, at the
 * token limit) has an incomplete input: it is answered with an error instead of being run.
 * With `notRun`, no call runs: each gets that reason, so the transcript stays well-formed.
 */
/** One call of a step as the loop ran it, for the per-step hooks (the watchdog). */
export interface ToolCallRecord {
  name: string;
  input: unknown;
  readOnly: boolean;
  isError: boolean;
  /** The outcome's facts (a command's exit code, the checks' pass). */
  details?: Record<string, unknown>;
}

/** Where a step's calls run: the tools by name, the audit log, and the step's span's tracer. */
export interface ToolContext {
  readonly tools: Map<string, Tool>;
  readonly audit: AuditSink;
  readonly signal: AbortSignal;
  readonly step: number;
  readonly tracer?: Tracer;
}

export async function runTools(
  calls: Anthropic.ToolUseBlock[],
  ctx: ToolContext,
  skip: { cutOff?: Anthropic.ToolUseBlock; notRun?: string } = {},
): Promise<ToolRun> {
  const { tools, audit, signal, step } = ctx;
  const run: ToolRun = { results: [], touched: false, ran: [] };
  for (const call of calls) {
    await audit.record("tool.call", { step, id: call.id, name: call.name, input: call.input });
    const reason =
      skip.notRun ??
      (call.id === skip.cutOff?.id
        ? "This tool call was cut off at the output token limit, so it was not run. Send it again in smaller pieces."
        : undefined);
    const outcome: ToolOutcome =
      reason !== undefined
        ? { output: reason, isError: true, readOnly: true }
        : await tracedTool(ctx.tracer ?? NO_TRACER, call, () =>
            executeTool(tools.get(call.name), call, signal),
          );
    await audit.record("tool.result", {
      step,
      id: call.id,
      name: call.name,
      isError: outcome.isError,
      output: clip(outcome.output, AUDIT_OUTPUT_CHARS),
      ...outcome.details,
    });
    const limit = limitHitOf(outcome.details);
    if (limit) await audit.record("sandbox.limit", { step, tool: call.name, ...limit });
    if (outcome.readOnly !== true) run.touched = true;
    if (outcome.pause && !run.pause) run.pause = { request: outcome.pause, toolUseId: call.id };
    run.ran.push({
      name: call.name,
      input: call.input,
      readOnly: outcome.readOnly === true,
      isError: outcome.isError,
      ...(outcome.details ? { details: outcome.details } : {}),
    });
    run.results.push({
      type: "tool_result",
      tool_use_id: call.id,
      content: outcome.output,
      is_error: outcome.isError,
    });
  }
  return run;
}

/** A sandbox limit a command hit, as a tool's details carry it (`limit: {limit, message}`). */
function limitHitOf(
  details: Record<string, unknown> | undefined,
): { limit: string; message: string } | undefined {
  const hit = details?.limit as { limit?: unknown; message?: unknown } | null | undefined;
  if (typeof hit?.limit !== "string" || typeof hit.message !== "string") return undefined;
  return { limit: hit.limit, message: hit.message };
}

/** A call the harness runs, in its span (`execute_tool {name}`): never its input or output. */
function tracedTool(
  tracer: Tracer,
  call: Anthropic.ToolUseBlock,
  execute: () => Promise<ToolOutcome>,
): Promise<ToolOutcome> {
  const attributes = {
    [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
    [ATTR_GEN_AI_TOOL_NAME]: call.name,
    [ATTR_GEN_AI_TOOL_CALL_ID]: call.id,
  };
  const name = `${GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL} ${call.name}`;
  return withSpan(tracer, name, { attributes }, async (span) => {
    const outcome = await execute();
    if (outcome.isError) markFailed(span, "tool_error");
    return outcome;
  });
}

async function executeTool(
  tool: Tool | undefined,
  call: Anthropic.ToolUseBlock,
  signal: AbortSignal,
): Promise<ToolOutcome> {
  if (!tool) {
    return { output: `There is no tool named ${call.name}.`, isError: true, readOnly: true };
  }
  try {
    return await tool.execute(call.input, signal);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { output: `The ${call.name} tool failed: ${reason}`, isError: true };
  }
}

export function textOf(content: readonly Anthropic.ContentBlockParam[] | string): string {
  if (typeof content === "string") return content.trim();
  return content
    .filter((b): b is Anthropic.TextBlockParam => b.type === "text")
    .map((b) => b.text)
    .join("\n")
    .trim();
}

export function lastAssistantText(messages: readonly Anthropic.MessageParam[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== "assistant") continue;
    const text = textOf(m.content);
    if (text.length > 0) return text;
  }
  return "";
}

export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor((max - 40) / 2);
  return `${text.slice(0, half)}\n… [${text.length - 2 * half} characters cut] …\n${text.slice(-half)}`;
}
