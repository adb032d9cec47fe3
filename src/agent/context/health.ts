// The step's health, one `context.health` audit event per step, so a run's drift and error
// accumulation can be plotted later: what was sent (size in bytes of JSON and in estimated
// tokens, bytes / 4), what the model counted (tokens in and out, cache reads and writes), the
// tool errors, the compactions and clearings so far, the shares of the issue and of the plan the
// request still carries (what context management must never lose), and any signals other hooks
// publish. src/audit/health/ draws the run's charts from these events.
import type Anthropic from "@anthropic-ai/sdk";
import { issueText } from "../../audit/health/index.ts";
import type { ContextStats } from "../hooks.ts";
import type { AgentSnapshot, AuditSink, PlanItem } from "../ports.ts";

/**
 * Where another step hook (the watchdog) publishes its signals for the health event: a plain
 * JSON object under `health` in its own state (`HookResult.state`). The event copies each one
 * under the hook's name; a hook without it adds nothing. Hooks run before the event is recorded.
 */
const HEALTH_FIELD = "health";

function hookSignals(hooks: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const signals: Record<string, unknown> = {};
  for (const [name, state] of Object.entries(hooks)) {
    if (typeof state !== "object" || state === null || !(HEALTH_FIELD in state)) continue;
    const health = (state as Record<string, unknown>)[HEALTH_FIELD];
    if (health !== undefined && health !== null) signals[name] = health;
  }
  return signals;
}

export interface StepHealth {
  step: number;
  usage: Anthropic.Usage;
  /** What the view reported of the request it built; measured here when it said nothing. */
  stats: ContextStats | undefined;
  /** The request as sent, measured when the view gave no stats. */
  sent: { messages: readonly Anthropic.MessageParam[]; system: unknown; tools: unknown };
  toolCalls: number;
  toolErrors: number;
  state: Readonly<AgentSnapshot>;
  /** The task the run was given (the transcript's first message): what `carries.issue` measures. */
  task: string;
  /** The plan when the request was sent (the step may have changed it since). */
  plan: readonly PlanItem[];
}

export function requestBytes(parts: {
  messages: unknown;
  system: unknown;
  tools: unknown;
}): number {
  return Buffer.byteLength(JSON.stringify([parts.system, parts.tools, parts.messages]));
}

/** The request's JSON holds the text: the text as JSON writes it inside a string. */
function holds(json: string, text: string): boolean {
  return json.includes(JSON.stringify(text).slice(1, -1));
}

/**
 * The shares the request (as JSON) still carries: `issue`, of the non-empty lines of the issue
 * in the task (its title and body; the whole task when it has no issue); `plan`, of the current
 * plan's steps, absent while there is no plan. 1 is all of it.
 */
export function carriedShares(
  json: string,
  task: string,
  plan: readonly PlanItem[],
): { issue: number; plan?: number } {
  const issue = issueText(task);
  // The whole of it, the usual case, in one search; line by line only when something is missing.
  const whole = holds(json, issue);
  const lines = issue
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const share = (texts: string[]) => texts.filter((t) => holds(json, t)).length / texts.length;
  return {
    issue: whole || lines.length === 0 ? 1 : share(lines),
    ...(plan.length > 0 ? { plan: share(plan.map((p) => p.step)) } : {}),
  };
}

export async function recordHealth(audit: AuditSink, health: StepHealth): Promise<void> {
  const { usage, state } = health;
  const json = JSON.stringify([health.sent.system, health.sent.tools, health.sent.messages]);
  const bytes = health.stats?.requestBytes ?? Buffer.byteLength(json);
  const signals = hookSignals(state.hooks);
  await audit.record("context.health", {
    step: health.step,
    sent: {
      unit: "bytes of JSON; tokens estimated as bytes / 4",
      bytes,
      estimatedTokens: health.stats?.estimatedTokens ?? Math.ceil(bytes / 4),
      messages: health.stats?.messages ?? health.sent.messages.length,
    },
    tokens: {
      input: usage.input_tokens,
      output: usage.output_tokens,
      cacheRead: usage.cache_read_input_tokens ?? 0,
      cacheWrite: usage.cache_creation_input_tokens ?? 0,
    },
    tools: { calls: health.toolCalls, errors: health.toolErrors },
    compactions: health.stats?.compactions ?? 0,
    clearings: health.stats?.clearings ?? 0,
    carries: carriedShares(json, health.task, health.plan),
    ...(health.stats ? { context: health.stats } : {}),
    ...(Object.keys(signals).length > 0 ? { signals } : {}),
  });
}
