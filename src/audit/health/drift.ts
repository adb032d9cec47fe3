// The drift chart: files changed that neither the issue nor the plan point to, plan rewrites,
// and the watchdog's signals, nudges and pauses, each so far.
//
// A file is outside the scope when, at the end of the step that first changed it through the
// editor (create, str_replace, insert), neither the issue's title and body nor any plan step
// written so far names it (its path, file name or stem: scope.ts). Changes made by bash commands
// are not in the audit log per file, so they are not counted here.
import { callsByStep, type ToolCall } from "./calls.ts";
import { planSteps, samePlan } from "./plan.ts";
import { issueText, pointsTo } from "./scope.ts";
import { bump, cumulative, record, type StepLog } from "./steps.ts";
import type { Chart } from "./types.ts";

const WRITES = new Set(["create", "str_replace", "insert"]);

/** The worktree-relative path of an editor call, or undefined. */
function changedPath(call: ToolCall, worktree: string): string | undefined {
  const input = record(call.input);
  if (call.name !== "str_replace_based_edit_tool" || call.failed) return undefined;
  if (typeof input.command !== "string" || !WRITES.has(input.command)) return undefined;
  if (typeof input.path !== "string") return undefined;
  const path = input.path.replace(/^(\.\/)+/, "");
  return worktree !== "" && path.startsWith(`${worktree}/`)
    ? path.slice(worktree.length + 1)
    : path;
}

export function driftChart(log: StepLog, calls: readonly ToolCall[]): Chart {
  const start = log.events.find((e) => e.type === "agent.start")?.data ?? {};
  const issue = typeof start.task === "string" ? issueText(start.task) : "";
  const worktree = typeof start.worktree === "string" ? start.worktree.replace(/\/+$/, "") : "";

  const planned: string[] = [];
  let plan: string[] | undefined;
  const rewrites = new Map<number, number>();
  const strays = new Map<number, number>();
  const seen = new Set<string>();
  const byStep = callsByStep(calls);
  let scope: string | undefined;
  for (const step of log.axis) {
    const mine = byStep.get(step) ?? [];
    for (const call of mine) {
      if (call.name !== "update_plan" || call.failed) continue;
      const next = planSteps(call.input);
      if (next === undefined) continue;
      if (plan !== undefined && !samePlan(plan, next)) bump(rewrites, step);
      plan = next;
      planned.push(...next);
      scope = undefined;
    }
    for (const call of mine) {
      const path = changedPath(call, worktree);
      if (path === undefined || seen.has(path)) continue;
      seen.add(path);
      // Built when a path needs it, again only after the plan grew.
      scope ??= [issue, ...planned].join("\n");
      if (!pointsTo(scope, path)) bump(strays, step);
    }
  }
  const watchdog = (type: string) => {
    const counts = new Map<number, number>();
    for (const e of log.events) if (e.type === type) bump(counts, e.step);
    return counts;
  };
  return {
    id: "drift",
    title: "Drift from the task",
    unit: "count",
    series: [
      cumulative("files changed outside the issue and the plan", log.axis, strays),
      cumulative("plan rewrites", log.axis, rewrites),
      cumulative("watchdog signals", log.axis, watchdog("watchdog.signal")),
      cumulative("watchdog nudges", log.axis, watchdog("watchdog.nudge")),
      cumulative("watchdog pauses", log.axis, watchdog("watchdog.pause")),
    ],
  };
}
