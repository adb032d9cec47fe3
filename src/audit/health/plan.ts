// The plan as the model set it with `update_plan`: the steps' texts, read from the call's input
// the way the tool reads it (a list, or a list as JSON text; strings or { step, status }).
import { record } from "./steps.ts";

function list(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value as unknown[];
  if (typeof value !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The steps' texts of an `update_plan` input; undefined when it holds no plan. */
export function planSteps(input: unknown): string[] | undefined {
  const fields = record(input);
  const items = list(fields.plan ?? fields.steps ?? fields.items ?? fields.todos);
  if (items === undefined) return undefined;
  return items.flatMap((item) => {
    const step = typeof item === "string" ? item : record(item).step;
    return typeof step === "string" && step.trim() !== "" ? [step.trim()] : [];
  });
}

/** Two plans with the same steps (in any order, whatever their status) are one plan. */
export function samePlan(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  return left.size === new Set(b).size && b.every((s) => left.has(s));
}
