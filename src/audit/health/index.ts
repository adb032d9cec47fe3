// A run's AI-health: every chart of the run pages computed from its audit events alone, as a pure
// function, so an exported JSONL log (`stamina audit export`) replays to the same charts. What
// each signal counts is in README.md beside this file.
import type { AuditEvent } from "../types.ts";
import { toolCalls } from "./calls.ts";
import { contextChart } from "./context.ts";
import { driftChart } from "./drift.ts";
import { errorsChart } from "./errors.ts";
import { glanceOf } from "./glance.ts";
import { memoryChart } from "./memory.ts";
import { safetyChart } from "./safety.ts";
import { spendChart } from "./spend.ts";
import { stepLog } from "./steps.ts";
import type { RunHealth } from "./types.ts";

export type { Chart, ChartId, Glance, RunHealth, Series } from "./types.ts";
export { readsOf } from "./reads.ts";
export { issueText, pointsTo } from "./scope.ts";

export function runHealth(events: readonly AuditEvent[]): RunHealth {
  const log = stepLog(events);
  const calls = toolCalls(log.events);
  const charts = [
    contextChart(log),
    errorsChart(log, calls),
    driftChart(log, calls),
    memoryChart(log, calls),
    safetyChart(log),
    spendChart(log),
  ];
  return { steps: log.steps, charts, glance: glanceOf(charts) };
}
