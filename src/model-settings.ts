// The model provider's settings, read with the rest of the environment: which provider serves
// Claude (the Claude API, Amazon Bedrock, Google Vertex AI), its variables, the retry window,
// and the operators' own model ids. Credentials stay values here, never logged; the redactor
// learns every one of them.
import { z } from "zod";
import type { ModelProvider } from "./model/model-ids.ts";
import type { ProviderOptions } from "./model/providers.ts";

const modelIds = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: 'must be JSON such as {"claude-opus-5": "<id>"}' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), z.string().min(1), { error: "must map model ids to ids" }));

/** The variables, merged into the settings' environment schema. */
export const modelEnv = {
  STAMINA_MODEL_PROVIDER: z.enum(["anthropic", "bedrock", "vertex"]).default("anthropic"),
  STAMINA_MODEL_RETRY_MINUTES: z.coerce
    .number()
    .positive()
    .max(24 * 60)
    .default(15),
  STAMINA_MODEL_IDS: modelIds.optional(),
  AWS_REGION: z.string().optional(),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  AWS_SESSION_TOKEN: z.string().optional(),
  AWS_BEARER_TOKEN_BEDROCK: z.string().optional(),
  ANTHROPIC_BEDROCK_BASE_URL: z.string().url().optional(),
  ANTHROPIC_VERTEX_PROJECT_ID: z.string().optional(),
  CLOUD_ML_REGION: z.string().optional(),
  ANTHROPIC_VERTEX_BASE_URL: z.string().url().optional(),
};

type ModelEnv = z.output<z.ZodObject<typeof modelEnv>>;

export interface ModelSettings {
  provider: ModelProvider;
  /** How long one model call may go on retrying an overloaded or unreachable model. */
  retryWindowMs: number;
  /** The operators' ids for the provider, by Stamina's model id. */
  modelIds: Record<string, string>;
  bedrock: {
    region?: string;
    baseURL?: string;
    accessKeyId?: string;
    secretAccessKey?: string;
    sessionToken?: string;
    bearerToken?: string;
  };
  vertex: { projectId?: string; region?: string; baseURL?: string };
}

export function readModelSettings(e: ModelEnv): ModelSettings {
  return {
    provider: e.STAMINA_MODEL_PROVIDER,
    retryWindowMs: Math.round(e.STAMINA_MODEL_RETRY_MINUTES * 60_000),
    modelIds: e.STAMINA_MODEL_IDS ?? {},
    bedrock: {
      region: e.AWS_REGION,
      baseURL: e.ANTHROPIC_BEDROCK_BASE_URL,
      accessKeyId: e.AWS_ACCESS_KEY_ID,
      secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
      sessionToken: e.AWS_SESSION_TOKEN,
      bearerToken: e.AWS_BEARER_TOKEN_BEDROCK,
    },
    vertex: {
      projectId: e.ANTHROPIC_VERTEX_PROJECT_ID,
      region: e.CLOUD_ML_REGION,
      baseURL: e.ANTHROPIC_VERTEX_BASE_URL,
    },
  };
}

/** The chosen provider's options, or the variables it still needs. */
export function providerOptions(
  s: ModelSettings,
  anthropic: { apiKey?: string; baseURL?: string },
): ProviderOptions | { missing: string[] } {
  switch (s.provider) {
    case "anthropic":
      return anthropic.apiKey === undefined
        ? { missing: ["ANTHROPIC_API_KEY"] }
        : { provider: "anthropic", apiKey: anthropic.apiKey, baseURL: anthropic.baseURL };
    case "bedrock": {
      const { region, ...rest } = s.bedrock;
      return region === undefined
        ? { missing: ["AWS_REGION"] }
        : { provider: "bedrock", region, ...rest };
    }
    case "vertex": {
      const { projectId, region, baseURL } = s.vertex;
      if (projectId === undefined || region === undefined) {
        const missing = [];
        if (projectId === undefined) missing.push("ANTHROPIC_VERTEX_PROJECT_ID");
        if (region === undefined) missing.push("CLOUD_ML_REGION");
        return { missing };
      }
      return { provider: "vertex", projectId, region, baseURL };
    }
  }
}

/** Every credential among the model settings, for the redactor. */
export function modelSecrets(s: ModelSettings): string[] {
  const { secretAccessKey, sessionToken, bearerToken } = s.bedrock;
  return [secretAccessKey, sessionToken, bearerToken].filter((v): v is string => v !== undefined);
}
