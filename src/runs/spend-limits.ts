// The operator's limits on spend and models, which no repository config or command can pass:
// STAMINA_MAX_DOLLARS_PER_RUN caps every run's dollar budget (retries and approved extensions
// included), the installation's limits per UTC day and month are held in the store's write
// transaction before each step, and STAMINA_MODEL_ALLOW names the models runs may use. Each
// refusal says which limit, its setting, and what can still be done.
import type { Budget, BudgetStop, SpendGate } from "../agent/budget.ts";
import type { SpendLimitName, SpendLimits, SpendRefusal } from "../store/spend.ts";
import type { Store } from "../store/store.ts";
import type { Run } from "../store/types.ts";

/** The operator's limits, as the settings read them. */
export interface OperatorLimits extends SpendLimits {
  /** The model ids runs may use; unset: any model Stamina knows. */
  modelAllow?: readonly string[];
}

const LIMIT_SETTINGS = {
  run: "STAMINA_MAX_DOLLARS_PER_RUN",
  day: "STAMINA_MAX_DOLLARS_PER_INSTALLATION_DAY",
  month: "STAMINA_MAX_DOLLARS_PER_INSTALLATION_MONTH",
} as const;

const usd = (amount: number) => `$${amount.toFixed(2)}`;

/** The run's budget with its dollars held to the operator's limit per run. */
export function cappedBudget(budget: Budget, limits: OperatorLimits | undefined): Budget {
  const cap = limits?.perRun;
  return cap === undefined || budget.dollars <= cap ? budget : { ...budget, dollars: cap };
}

/** The gate the loop asks before each step; none when no spending limit is set. */
export function spendGateFor(
  store: Store,
  run: Run,
  limits: OperatorLimits | undefined,
): SpendGate | undefined {
  if (limits === undefined) return undefined;
  const { perRun, perInstallationDay, perInstallationMonth } = limits;
  if (
    perRun === undefined &&
    perInstallationDay === undefined &&
    perInstallationMonth === undefined
  ) {
    return undefined;
  }
  return {
    async reserve(spent, estimate): Promise<BudgetStop | null> {
      const refusal = await store.spend.reserve({
        runId: run.id,
        installationId: run.installationId,
        runSpent: spent,
        estimate,
        limits,
      });
      return refusal === null ? null : limitStop(refusal);
    },
  };
}

/** A limit reached, as the run's stop: the tracking comment and the pull request say it. */
function limitStop(refusal: SpendRefusal): BudgetStop {
  const next = WHAT_NEXT[refusal.limit];
  return {
    budget: "dollars",
    limit: refusal.cap,
    spent: refusal.spent,
    message: `Stamina stopped at ${limitNamed(refusal)}: ${spentText(refusal)}. ${next[0]!.toUpperCase()}${next.slice(1)}; this is the work so far.`,
  };
}

/** A limit used up already, as the reason a command does nothing: "…is used up (…); …". */
export function limitUsedUp(refusal: SpendRefusal): string {
  return `${limitNamed(refusal)}, is used up (${spentText(refusal)}); ${WHAT_NEXT[refusal.limit]}`;
}

const WHAT_NEXT: Record<SpendLimitName, string> = {
  run: "no repository setting, `/stamina retry` or `/stamina approve` can raise it; whoever runs Stamina can",
  day: "`/stamina retry` after midnight UTC continues from here",
  month: "`/stamina retry` next month (UTC) continues from here",
};

function limitNamed({ limit, cap }: SpendRefusal): string {
  const what = {
    run: "per run",
    day: "for this installation per day",
    month: "for this installation per month",
  };
  return `the operator's spending limit ${what[limit]}, ${usd(cap)} (${LIMIT_SETTINGS[limit]})`;
}

function spentText({ limit, spent }: SpendRefusal): string {
  const when = {
    run: "spent, counting the runs it continues",
    day: "spent or held today (UTC)",
    month: "spent or held this month (UTC)",
  };
  return `${usd(spent)} ${when[limit]}`;
}

/** Why the run's model may not be used here, or null when it may. */
export function modelRefused(model: string, limits: OperatorLimits | undefined): string | null {
  const allow = limits?.modelAllow;
  if (allow === undefined || allow.includes(model)) return null;
  return `the model ${model} is not one the operator allows (STAMINA_MODEL_ALLOW: ${allow.join(", ")}); set \`model:\` in .github/stamina.yml to one of them`;
}
