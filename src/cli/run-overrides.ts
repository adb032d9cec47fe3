// What `stamina run` takes from its command line over the repository's config, for that run
// only: the model (--model) and the step and dollar budgets (--budget-steps, --budget-dollars).
// Each value is checked before anything starts, and a bad one is refused naming its flag.
import type { Budget } from "../agent/budget.ts";
import { providerModelId, retiredOn } from "../model/model-ids.ts";
import { knownModels, priceOf } from "../model/prices.ts";
import { PROVIDER_NAMES } from "../model/providers.ts";
import type { ModelSettings } from "../model-settings.ts";
import { BUDGET_LIMITS, type RepoConfig } from "../policy/config.ts";

/** A flag's value that cannot be used, said in one sentence that names the flag. */
export class FlagRefused extends Error {}

/** The flags as the command line gave them, unchecked. */
export interface RunFlags {
  model?: string;
  "budget-steps"?: string;
  "budget-dollars"?: string;
}

/** What the flags change in the repository's config. */
export interface RunOverrides {
  model?: string;
  budget: Partial<Pick<Budget, "steps" | "dollars">>;
}

/** The flags checked; throws FlagRefused on the first bad one. */
export function readOverrides(flags: RunFlags, settings: ModelSettings): RunOverrides {
  const overrides: RunOverrides = { budget: {} };
  if (flags.model !== undefined) overrides.model = modelOf(flags.model, settings);
  if (flags["budget-steps"] !== undefined) {
    overrides.budget.steps = stepsOf(flags["budget-steps"]);
  }
  if (flags["budget-dollars"] !== undefined) {
    overrides.budget.dollars = dollarsOf(flags["budget-dollars"]);
  }
  return overrides;
}

/** The repository's config (defaults filled in) with the flags over it. */
export function applyOverrides(config: RepoConfig, overrides: RunOverrides): RepoConfig {
  return {
    ...config,
    model: overrides.model ?? config.model,
    budget: { ...config.budget, ...overrides.budget },
  };
}

/**
 * The models a run can choose: priced, still served, and with an id on the provider (the
 * Claude API, unless settings say otherwise).
 */
function servedModels(
  settings: Pick<ModelSettings, "provider" | "modelIds"> = { provider: "anthropic", modelIds: {} },
): string[] {
  return knownModels().filter(
    (m) =>
      retiredOn(m) === undefined &&
      providerModelId(settings.provider, m, settings.modelIds) !== undefined,
  );
}

/** The models a run can choose, as a list wrapped at 90 columns after `indent`. */
export function servedModelsText(indent: string): string {
  const lines: string[] = [];
  for (const model of servedModels()) {
    const last = lines.at(-1);
    if (last !== undefined && indent.length + last.length + model.length + 2 <= 90) {
      lines[lines.length - 1] = `${last}, ${model}`;
    } else {
      if (last !== undefined) lines[lines.length - 1] = `${last},`;
      lines.push(model);
    }
  }
  return lines.join(`\n${indent}`);
}

function modelOf(value: string, settings: ModelSettings): string {
  const model = value.trim();
  const choose = `choose one of ${servedModels(settings).join(", ")}`;
  if (model === "") throw new FlagRefused(`--model needs a model id; ${choose}.`);
  const retired = retiredOn(model);
  if (retired !== undefined) {
    throw new FlagRefused(`--model ${model}: that model retired on ${retired}; ${choose}.`);
  }
  if (priceOf(model) === undefined) {
    throw new FlagRefused(`--model ${model} is not a model Stamina knows; ${choose}.`);
  }
  if (providerModelId(settings.provider, model, settings.modelIds) === undefined) {
    const provider = PROVIDER_NAMES[settings.provider];
    throw new FlagRefused(
      `--model ${model}: Stamina does not know what ${provider} calls that model; ${choose}, or name its ${provider} id in STAMINA_MODEL_IDS.`,
    );
  }
  return model;
}

function stepsOf(value: string): number {
  const text = value.trim();
  const steps = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(steps >= 1 && steps <= BUDGET_LIMITS.steps)) {
    throw new FlagRefused(
      `--budget-steps must be a whole number of model turns from 1 to ${BUDGET_LIMITS.steps.toLocaleString("en-US")}, such as 20 (not ${JSON.stringify(value)}).`,
    );
  }
  return steps;
}

function dollarsOf(value: string): number {
  const text = value.trim().replace(/^\$/, "");
  const dollars = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : NaN;
  if (!(dollars > 0 && dollars <= BUDGET_LIMITS.dollars)) {
    throw new FlagRefused(
      `--budget-dollars must be an amount in US dollars, more than 0 and at most ${BUDGET_LIMITS.dollars.toLocaleString("en-US")}, such as 2.50 (not ${JSON.stringify(value)}).`,
    );
  }
  return dollars;
}
