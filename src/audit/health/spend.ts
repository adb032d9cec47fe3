// The spend chart: each budget's share used by the end of every step, 0..1 (past 1 when a step
// overran it). The budget is `agent.start`'s (the latest before the step: a resumed run records
// it again, maybe extended); steps are the step's number, tokens and dollars the sums of `model.response`'s usage
// (input, output, cache reads and writes, as budget.ts counts them) and cost, and minutes the wall
// time the run had counted at the step's model request (`model.request`'s `elapsedMs`).
// Summaries a compaction asked the model for are not in these sums: no event records their usage.
import { bump, num, record, type StepLog } from "./steps.ts";
import type { Chart, Series } from "./types.ts";

type Budget = Record<"steps" | "tokens" | "dollars" | "minutes", number | undefined>;

function budgetOf(data: Record<string, unknown>): Budget {
  const b = record(data.budget);
  return {
    steps: num(b.steps),
    tokens: num(b.tokens),
    dollars: num(b.dollars),
    minutes: num(b.minutes),
  };
}

function tokensOf(usage: Record<string, unknown>): number {
  return (
    (num(usage.input_tokens) ?? 0) +
    (num(usage.output_tokens) ?? 0) +
    (num(usage.cache_read_input_tokens) ?? 0) +
    (num(usage.cache_creation_input_tokens) ?? 0)
  );
}

export function spendChart(log: StepLog): Chart {
  const budgets = new Map<number, Budget>();
  const tokens = new Map<number, number>();
  const dollars = new Map<number, number>();
  const elapsed = new Map<number, number>();
  let asked = false;
  for (const { type, data, step } of log.events) {
    // A resumed run's agent.start follows the last step done: its budget counts from the next.
    if (type === "agent.start") budgets.set(asked ? step + 1 : step, budgetOf(data));
    if (type === "model.request") asked = true;
    if (type === "model.response") {
      bump(tokens, step, tokensOf(record(data.usage)));
      bump(dollars, step, num(data.cost) ?? 0);
    }
    const ms = num(data.elapsedMs);
    if (type === "model.request" && ms !== undefined) {
      elapsed.set(step, Math.max(elapsed.get(step) ?? 0, ms));
    }
  }
  const keys = ["steps", "tokens", "dollars", "minutes"] as const;
  const series = keys.map((name): Series => ({ name, points: [] }));
  let budget: Budget | undefined;
  const spent = { steps: 0, tokens: 0, dollars: 0, minutes: 0 };
  for (const step of log.axis) {
    budget = budgets.get(step) ?? budget;
    spent.steps = step;
    spent.tokens += tokens.get(step) ?? 0;
    spent.dollars += dollars.get(step) ?? 0;
    spent.minutes = (elapsed.get(step) ?? spent.minutes * 60_000) / 60_000;
    keys.forEach((key, k) => {
      const limit = budget?.[key];
      if (limit !== undefined && limit > 0) series[k]!.points.push([step, spent[key] / limit]);
    });
  }
  return {
    id: "spend",
    title: "Spend against the budgets",
    unit: "share of the budget (0..1)",
    series,
  };
}
