// The agent loop: ask the model, run the tools it calls, repeat until it ends
// its turn or a limit stops it. Every model turn and tool call is an audit
// event. Verification is not the model's word: the harness runs it afterwards.
import type Anthropic from "@anthropic-ai/sdk";
import type {
  AgentResume,
  AgentUsage,
  AuditSink,
  ModelPort,
  StepCheckpoint,
  Tool,
} from "./ports.ts";

export type { AgentUsage } from "./ports.ts";

export type AgentStop =
  "end_turn" | "step_limit" | "refusal" | "aborted" | "context_window_exceeded";

export interface AgentResult {
  stop: AgentStop;
  steps: number;
  /** The model's last text: the summary it wrote for the pull request. */
  summary: string;
  usage: AgentUsage;
}

export interface AgentOptions {
  model: ModelPort;
  tools: Tool[];
  audit: AuditSink;
  system: string;
  task: string;
  maxSteps: number;
  maxTokens: number;
  signal: AbortSignal;
  /**
   * Called after each step with what the step added; the next step starts only once it has
   * settled. The harness persists the checkpoint here; if that fails the run cannot go on, so
   * a rejection ends the loop with that error.
   */
  onStep?: (checkpoint: StepCheckpoint) => void | Promise<void>;
  /** Continue a run that stopped after `resume.step` steps (a crash, a restart, a pause). */
  resume?: AgentResume;
}

/** How much of a tool's output the audit event keeps (the model saw more). */
const AUDIT_OUTPUT_CHARS = 4_000;

export async function runAgent(options: AgentOptions): Promise<AgentResult> {
  const { model, audit, signal } = options;
  const tools = new Map(options.tools.map((t) => [t.definition.name, t]));
  const resume = options.resume;
  const messages: Anthropic.MessageParam[] = resume
    ? [...resume.messages]
    : [{ role: "user", content: options.task }];
  const usage: AgentUsage = resume
    ? { ...resume.state.usage }
    : { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  let summary = resume ? lastAssistantText(messages) : "";
  // Messages not yet handed to onStep: the task itself goes out with the first step.
  let pending = resume ? messages.length : 0;
  const checkpoint = async (step: number) => {
    const added = messages.slice(pending);
    pending = messages.length;
    await options.onStep?.({ step, added, state: { usage: { ...usage } } });
  };

  const finish = (stop: AgentStop, steps: number): AgentResult => ({ stop, steps, summary, usage });

  for (let step = (resume?.step ?? 0) + 1; step <= options.maxSteps; step++) {
    if (signal.aborted) return finish("aborted", step - 1);
    await audit.record("model.request", { step, model: model.model, messages: messages.length });
    const message = await model.complete(
      {
        system: options.system,
        messages,
        tools: options.tools.map((t) => t.definition),
        maxTokens: options.maxTokens,
      },
      signal,
    );
    addUsage(usage, message.usage);
    const text = textOf(message.content);
    if (text.length > 0) summary = text;
    const calls = message.content.filter((b): b is Anthropic.ToolUseBlock => b.type === "tool_use");
    await audit.record("model.response", {
      step,
      stopReason: message.stop_reason,
      usage: message.usage,
      text: clip(text, AUDIT_OUTPUT_CHARS),
      toolCalls: calls.map((c) => ({ id: c.id, name: c.name })),
    });
    messages.push({ role: "assistant", content: message.content });

    switch (message.stop_reason) {
      case "end_turn":
      case "stop_sequence":
        await checkpoint(step);
        return finish("end_turn", step);
      case "refusal":
        await checkpoint(step);
        return finish("refusal", step);
      case "model_context_window_exceeded":
        await checkpoint(step);
        return finish("context_window_exceeded", step);
      case "pause_turn":
        // The server paused a long turn; sending the conversation back lets it continue.
        break;
      case "tool_use":
      case "max_tokens":
      case null: {
        const cutOff = message.stop_reason === "max_tokens";
        const results = await runTools(calls, tools, audit, signal, step, cutOff);
        if (results.length > 0) {
          messages.push({ role: "user", content: results });
        } else if (cutOff) {
          messages.push({
            role: "user",
            content: "Your reply was cut off at the token limit. Please continue.",
          });
        }
        break;
      }
    }
    await checkpoint(step);
  }
  return finish("step_limit", options.maxSteps);
}

async function runTools(
  calls: Anthropic.ToolUseBlock[],
  tools: Map<string, Tool>,
  audit: AuditSink,
  signal: AbortSignal,
  step: number,
  cutOff: boolean,
): Promise<Anthropic.ToolResultBlockParam[]> {
  const results: Anthropic.ToolResultBlockParam[] = [];
  for (const [index, call] of calls.entries()) {
    await audit.record("tool.call", { step, id: call.id, name: call.name, input: call.input });
    const isLast = index === calls.length - 1;
    const outcome =
      cutOff && isLast
        ? {
            output:
              "This tool call was cut off at the token limit, so it was not run. Send it again in smaller pieces.",
            isError: true,
          }
        : await executeTool(tools.get(call.name), call, signal);
    await audit.record("tool.result", {
      step,
      id: call.id,
      name: call.name,
      isError: outcome.isError,
      output: clip(outcome.output, AUDIT_OUTPUT_CHARS),
      ...("details" in outcome ? outcome.details : {}),
    });
    results.push({
      type: "tool_result",
      tool_use_id: call.id,
      content: outcome.output,
      is_error: outcome.isError,
    });
  }
  return results;
}

async function executeTool(
  tool: Tool | undefined,
  call: Anthropic.ToolUseBlock,
  signal: AbortSignal,
) {
  if (!tool) {
    return { output: `There is no tool named ${call.name}.`, isError: true };
  }
  try {
    return await tool.execute(call.input, signal);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { output: `The ${call.name} tool failed: ${reason}`, isError: true };
  }
}

function textOf(content: Anthropic.ContentBlock[]): string {
  return content
    .filter((b): b is Anthropic.TextBlock => b.type === "text")
    .map((b) => b.text)
    .join("\n")
    .trim();
}

function lastAssistantText(messages: Anthropic.MessageParam[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== "assistant" || typeof m.content === "string") continue;
    const text = textOf(m.content as Anthropic.ContentBlock[]);
    if (text.length > 0) return text;
  }
  return "";
}

function addUsage(total: AgentUsage, u: Anthropic.Usage): void {
  total.inputTokens += u.input_tokens;
  total.outputTokens += u.output_tokens;
  total.cacheReadTokens += u.cache_read_input_tokens ?? 0;
  total.cacheWriteTokens += u.cache_creation_input_tokens ?? 0;
}

export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor((max - 40) / 2);
  return `${text.slice(0, half)}\n… [${text.length - 2 * half} characters cut] …\n${text.slice(-half)}`;
}
