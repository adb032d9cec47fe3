// The errors chart: failing tool calls and retries so far, and the share of the calls of the last
// ten steps that failed (what the watchdog's error rule watches, per step rather than per call).
import type { ToolCall } from "./calls.ts";
import { bump, cumulative, type StepLog } from "./steps.ts";
import type { Chart, Series } from "./types.ts";

/** The steps the failing share looks back over, the current one included. */
const ERROR_WINDOW = 10;

function failingShare(calls: readonly ToolCall[], axis: readonly number[]): Series {
  const made = new Map<number, number>();
  const failed = new Map<number, number>();
  for (const call of calls) {
    bump(made, call.step);
    if (call.failed) bump(failed, call.step);
  }
  // A window sliding over the steps: what enters at `step`, what leaves at `step - WINDOW`.
  let inWindow = 0;
  let failing = 0;
  return {
    name: `share of tool calls failing in the last ${ERROR_WINDOW} steps`,
    points: axis.map((step) => {
      inWindow += (made.get(step) ?? 0) - (made.get(step - ERROR_WINDOW) ?? 0);
      failing += (failed.get(step) ?? 0) - (failed.get(step - ERROR_WINDOW) ?? 0);
      return [step, inWindow === 0 ? 0 : failing / inWindow];
    }),
  };
}

export function errorsChart(log: StepLog, calls: readonly ToolCall[]): Chart {
  const failed = new Map<number, number>();
  for (const call of calls) if (call.failed) bump(failed, call.step);
  const retries = new Map<number, number>();
  for (const event of log.events) {
    if (event.type === "step.retried" || event.type === "model.retry") bump(retries, event.step);
  }
  return {
    id: "errors",
    title: "Errors and retries",
    unit: "count (the share 0..1)",
    series: [
      cumulative("failing tool calls (so far)", log.axis, failed),
      cumulative("retries: steps again and model calls again (so far)", log.axis, retries),
      failingShare(calls, log.axis),
    ],
  };
}
