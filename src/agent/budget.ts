// The four budgets of a run: steps, tokens, dollars and wall time. Each one
// running out is a stop reason of its own, with a sentence that says which
// and how much, for the pull request, the issue and the CLI.
import type Anthropic from "@anthropic-ai/sdk";
import type { AgentUsage, Spent } from "./ports.ts";

export interface Budget {
  steps: number;
  tokens: number;
  dollars: number;
  minutes: number;
}

export type BudgetName = keyof Budget;

export interface BudgetStop {
  budget: BudgetName;
  limit: number;
  spent: number;
  /** "Stamina used its whole token budget (5,000,000 tokens) before it finished." */
  message: string;
}

/** The first budget that is used up before another step may start, or null. */
export function exhaustedBudget(budget: Budget, steps: number, spent: Spent): BudgetStop | null {
  const minutes = spent.elapsedMs / 60_000;
  const checks: [BudgetName, number, number][] = [
    ["steps", steps, budget.steps],
    ["tokens", spent.tokens, budget.tokens],
    ["dollars", spent.dollars, budget.dollars],
    ["minutes", minutes, budget.minutes],
  ];
  for (const [name, used, limit] of checks) {
    if (used >= limit) {
      return {
        budget: name,
        limit,
        spent: used,
        message: `Stamina used its whole ${noun(name)} budget (${amount(name, limit)}) before it finished; this is the work so far.`,
      };
    }
  }
  return null;
}

/**
 * The budget after writers approved extensions worth `share` of it (0.5: half as much more of
 * each budget), as the loop counts against it.
 */
export function extendBudget(budget: Budget, share: number): Budget {
  if (!(share > 0)) return budget;
  return {
    steps: Math.round(budget.steps * (1 + share)),
    tokens: Math.round(budget.tokens * (1 + share)),
    dollars: budget.dollars * (1 + share),
    minutes: budget.minutes * (1 + share),
  };
}

/** "12 of 50 steps, 1,234,567 of 5,000,000 tokens, $0.84 of $10.00, 14 of 120 minutes". */
export function describeSpend(budget: Budget, steps: number, spent: Spent): string {
  return [
    `${n(steps)} of ${amount("steps", budget.steps)}`,
    `${n(spent.tokens)} of ${amount("tokens", budget.tokens)}`,
    `${dollars(spent.dollars)} of ${dollars(budget.dollars)}`,
    `${n(Math.ceil(spent.elapsedMs / 60_000))} of ${amount("minutes", budget.minutes)}`,
  ].join(", ");
}

/**
 * What the model reads at the end of each turn: "Budget left: 38 of 50 steps, $8.12 of $10.00."
 * Steps and dollars only: both are the same on a replay, where wall time is not.
 */
export function budgetLeftLine(budget: Budget, steps: number, spent: Spent): string {
  const stepsLeft = Math.max(budget.steps - steps, 0);
  const dollarsLeft = Math.max(budget.dollars - spent.dollars, 0);
  return `Budget left: ${n(stepsLeft)} of ${amount("steps", budget.steps)}, ${dollars(dollarsLeft)} of ${dollars(budget.dollars)}.`;
}

/** Every token a response read or wrote: what the token budget counts. */
export function tokensOf(usage: Anthropic.Usage): number {
  return (
    usage.input_tokens +
    usage.output_tokens +
    (usage.cache_read_input_tokens ?? 0) +
    (usage.cache_creation_input_tokens ?? 0)
  );
}

export function addUsage(total: AgentUsage, u: Anthropic.Usage): void {
  total.inputTokens += u.input_tokens;
  total.outputTokens += u.output_tokens;
  total.cacheReadTokens += u.cache_read_input_tokens ?? 0;
  total.cacheWriteTokens += u.cache_creation_input_tokens ?? 0;
}

function noun(name: BudgetName): string {
  return { steps: "step", tokens: "token", dollars: "dollar", minutes: "time" }[name];
}

function amount(name: BudgetName, value: number): string {
  if (name === "dollars") return dollars(value);
  return `${n(value)} ${name === "steps" && value === 1 ? "step" : name === "minutes" && value === 1 ? "minute" : name}`;
}

function n(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function dollars(value: number): string {
  return `$${value.toFixed(2)}`;
}

/**
 * The operator's spending limits, which no repository config or command can raise. Before each
 * step the loop asks it to reserve what the step may cost (`estimate`, in dollars, with `spent`
 * what the run has spent so far); a limit the step would pass comes back as the run's stop.
 */
export interface SpendGate {
  reserve(spent: number, estimate: number): Promise<BudgetStop | null>;
}
