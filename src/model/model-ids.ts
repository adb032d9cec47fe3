// What each provider calls a model. A repository names Stamina's id (`claude-sonnet-5-5`, as
// the Claude API does); Bedrock and Vertex know the same model by ids of their own. Only ids a
// published source states are listed; where none was found the entry is left out on purpose, and
// the operators supply it in STAMINA_MODEL_IDS rather than Stamina guessing a name.
export type ModelProvider = "anthropic" | "bedrock" | "vertex";

interface ProviderModelId {
  id: string;
  /** Where the id is stated. */
  source: string;
}

const SDK_BEDROCK = "@anthropic-ai/bedrock-sdk 1.1 README";
const SDK_VERTEX = "@anthropic-ai/vertex-sdk 1.1 README";
const DOCS_BEDROCK = "Claude docs, Amazon Bedrock (legacy) model table; global inference profile";
const UNCONFIRMED = "the id published at the model's launch; not re-checked against current docs";

/**
 * Bedrock's InvokeModel ids. Newer models are served on demand only through an inference
 * profile, so these are the `global.` profiles. Not found in any source, so left out:
 * claude-sonnet-5, claude-opus-5.
 */
const BEDROCK: Record<string, ProviderModelId> = {
  "claude-sonnet-5-5": { id: "global.anthropic.claude-sonnet-5-5", source: SDK_BEDROCK },
  "claude-sonnet-4-6": { id: "global.anthropic.claude-sonnet-4-6", source: DOCS_BEDROCK },
  "claude-sonnet-4-5": {
    id: "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    source: DOCS_BEDROCK,
  },
  "claude-opus-4-5": { id: "global.anthropic.claude-opus-4-5-20251101-v1:0", source: DOCS_BEDROCK },
  "claude-haiku-4-5": {
    id: "global.anthropic.claude-haiku-4-5-20251001-v1:0",
    source: UNCONFIRMED,
  },
};

/**
 * Vertex AI's publisher model names: alias-style for recent models, `name@date` for older ones.
 * Not found in any source, so left out: claude-sonnet-5, claude-opus-5.
 */
const VERTEX: Record<string, ProviderModelId> = {
  "claude-sonnet-5-5": { id: "claude-sonnet-5-5", source: SDK_VERTEX },
  "claude-sonnet-4-6": { id: "claude-sonnet-4-6", source: "Vertex AI Model Garden, alias id" },
  "claude-sonnet-4-5": { id: "claude-sonnet-4-5@20250929", source: UNCONFIRMED },
  "claude-opus-4-5": { id: "claude-opus-4-5@20251101", source: UNCONFIRMED },
  "claude-haiku-4-5": { id: "claude-haiku-4-5@20251001", source: UNCONFIRMED },
};

const TABLES: Record<Exclude<ModelProvider, "anthropic">, Record<string, ProviderModelId>> = {
  bedrock: BEDROCK,
  vertex: VERTEX,
};

/** Models the providers no longer serve, with the day each retired. */
const RETIRED: Record<string, string> = { "claude-sonnet-4-5": "2026-11-30" };

/** The day `model` (a family or a dated id) retired, or undefined while it is served. */
export function retiredOn(model: string): string | undefined {
  return RETIRED[familyOf(model)];
}

/** Stamina's family id: a dated id (`claude-haiku-4-5-20251001`) without its date. */
export function familyOf(model: string): string {
  return model.replace(/-\d{8}$/, "");
}

/**
 * The id to send to `provider` for Stamina's `model`: the operators' override first, then the
 * table; the Claude API takes Stamina's id as it is. Undefined when nobody knows it.
 */
export function providerModelId(
  provider: ModelProvider,
  model: string,
  overrides: Readonly<Record<string, string>> = {},
): string | undefined {
  const override = overrides[model] ?? overrides[familyOf(model)];
  if (override !== undefined) return override;
  if (provider === "anthropic") return model;
  return TABLES[provider][familyOf(model)]?.id;
}

/** The Stamina ids a provider has a known id for, for error messages. */
export function mappedModels(provider: ModelProvider): string[] {
  return provider === "anthropic" ? [] : Object.keys(TABLES[provider]);
}
