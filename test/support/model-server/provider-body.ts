// What Bedrock and Vertex share: the model is in the path, never in the body, and the API
// version is a body field, `anthropic_version`, that must name a version the service takes.
import type { Refusal } from "./refusal.ts";

export interface ProviderBody {
  params: Record<string, unknown>;
  version: string;
}

/**
 * Splits `anthropic_version` off the body and puts the path's model in: the Messages API
 * request the provider body stands for. Undefined when `anthropic_version` is absent or unknown.
 */
export function withPathModel(
  body: Record<string, unknown>,
  model: string,
  versions: readonly string[],
  drop: readonly string[] = [],
): ProviderBody | { missing: true } | { unknown: string } {
  const { anthropic_version: version, ...rest } = body;
  if (version === undefined) return { missing: true };
  if (typeof version !== "string" || !versions.includes(version))
    return { unknown: JSON.stringify(version) };
  for (const key of drop) delete rest[key];
  return { params: { ...rest, model }, version };
}

export function isProviderBody(value: object): value is ProviderBody {
  return "params" in value;
}

/** `anthropic_beta` from the body (Bedrock's place for betas), or a refusal if malformed. */
export function bodyBetas(
  value: unknown,
  refuse: (message: string) => Refusal,
): string[] | Refusal {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((b) => typeof b === "string")) {
    return refuse("anthropic_beta: Input should be a valid list of strings");
  }
  return value;
}
