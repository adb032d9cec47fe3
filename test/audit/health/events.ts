// Builds audit logs for the health tests: the event types and data shapes the agent loop and the
// run executor record (src/agent/turn.ts, context/health.ts, watchdog.ts, ...), chained for real.
import type { Chart, ChartId, Glance, RunHealth, Series } from "../../../src/audit/health/index.ts";
import type { AuditEntry } from "../../../src/audit/types.ts";

let ids = 0;

/** A tool call and its result at `step`: bash's exitCode and totalBytes, or any other detail. */
export function call(
  step: number,
  name: string,
  input: Record<string, unknown>,
  result: { isError?: boolean; [detail: string]: unknown } = {},
): AuditEntry[] {
  const id = `toolu_${++ids}`;
  const { isError = false, ...details } = result;
  return [
    { type: "tool.call", data: { step, id, name, input } },
    { type: "tool.result", data: { step, id, name, isError, output: "", ...details } },
  ];
}

export const bash = (step: number, command: string, exitCode = 0, totalBytes = 10) =>
  call(step, "bash", { command }, { exitCode, totalBytes });

export const view = (step: number, path: string, isError = false) =>
  call(step, "str_replace_based_edit_tool", { command: "view", path }, { isError });

export const edit = (step: number, path: string) =>
  call(step, "str_replace_based_edit_tool", {
    command: "str_replace",
    path,
    old_str: "a",
    new_str: "b",
  });

export const plan = (step: number, ...steps: Array<string | { step: string; status: string }>) =>
  call(step, "update_plan", { plan: steps });

/** The `context.health` event of a step, with the totals the context manager states. */
export function health(
  step: number,
  fields: {
    bytes?: number;
    input?: number;
    output?: number;
    cacheRead?: number;
    cacheWrite?: number;
    compactions?: number;
    clearings?: number;
    serverClearedTokens?: number;
    clearedResults?: number;
    carries?: { issue: number; plan?: number };
  } = {},
): AuditEntry {
  const bytes = fields.bytes ?? 4000;
  return {
    type: "context.health",
    data: {
      step,
      sent: { unit: "bytes", bytes, estimatedTokens: Math.ceil(bytes / 4), messages: step * 2 - 1 },
      tokens: {
        input: fields.input ?? 0,
        output: fields.output ?? 0,
        cacheRead: fields.cacheRead ?? 0,
        cacheWrite: fields.cacheWrite ?? 0,
      },
      tools: { calls: 0, errors: 0 },
      compactions: fields.compactions ?? 0,
      clearings: fields.clearings ?? 0,
      context: {
        requestBytes: bytes,
        estimatedTokens: Math.ceil(bytes / 4),
        messages: step * 2 - 1,
        compactions: fields.compactions ?? 0,
        clearings: fields.clearings ?? 0,
        clearedResults: fields.clearedResults ?? 0,
        serverClearedTokens: fields.serverClearedTokens ?? 0,
      },
      ...(fields.carries ? { carries: fields.carries } : {}),
    },
  };
}

/** agent.start as a session records it (src/agent/session.ts), with the parts the charts read. */
export function start(
  issue: string,
  budget = { steps: 50, tokens: 1_000_000, dollars: 10, minutes: 120 },
): AuditEntry {
  return {
    type: "agent.start",
    data: {
      model: "claude-sonnet-5-5",
      maxSteps: budget.steps,
      budget,
      task: `Resolve issue #1 of octo/demo.\n\nTitle: ${issue}\n\n<issue_body>\n${issue}\n</issue_body>\n\nYour memory for this repository is the \`memory\` tool.`,
      worktree: "/tmp/run/worktree",
    },
  };
}

/** The points of one series of one chart, by the series' name. */
export function points(health: RunHealth, id: ChartId, name: string): Series["points"] {
  const chart: Chart | undefined = health.charts.find((c) => c.id === id);
  const series: Series | undefined = chart?.series.find((s) => s.name === name);
  if (!series) throw new Error(`no series "${name}" in chart ${id}`);
  return series.points;
}

/** A glance with nothing to report. */
export const HEALTHY: Glance = { level: "healthy", reasons: [] };

/** Just the values, in step order. */
export function values(health: RunHealth, id: ChartId, name: string): number[] {
  return points(health, id, name).map(([, v]) => v);
}
