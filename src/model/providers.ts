// The SDK client for each provider: the Claude API, Amazon Bedrock, Google Vertex AI. Each
// speaks its provider's wire format (path, body, auth, stream framing) and hands back the same
// Messages API objects. Their own retries are off for runs (ours wait, on a clock tests can
// drive); the start-up checks allow the SDK's two short ones.
import Anthropic from "@anthropic-ai/sdk";
import { AnthropicBedrock } from "@anthropic-ai/bedrock-sdk";
import { AnthropicVertex } from "@anthropic-ai/vertex-sdk";
import type { AuthClient } from "google-auth-library";
import type { ModelProvider } from "./model-ids.ts";

interface AnthropicProvider {
  provider: "anthropic";
  apiKey: string;
  /** Another endpoint for the Messages API (a gateway, the scripted server in tests). */
  baseURL?: string;
}

/**
 * Credentials: a Bedrock API key (`bearerToken`), or AWS keys, or, with neither, the AWS
 * default chain (environment, profile, SSO, instance role) as the AWS SDK resolves it.
 */
export interface BedrockProvider {
  provider: "bedrock";
  region: string;
  baseURL?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  bearerToken?: string;
}

/** Credentials: the given Google auth client, else Application Default Credentials. */
export interface VertexProvider {
  provider: "vertex";
  projectId: string;
  /** A region such as `us-east5`, or `global`. */
  region: string;
  baseURL?: string;
  authClient?: AuthClient;
}

export type ProviderOptions = AnthropicProvider | BedrockProvider | VertexProvider;

export const PROVIDER_NAMES: Record<ModelProvider, string> = {
  anthropic: "the Claude API",
  bedrock: "Amazon Bedrock",
  vertex: "Google Vertex AI",
};

/** The settings that hold each provider's credentials, as a start-up error names them. */
export const CREDENTIAL_SETTINGS: Record<ModelProvider, string> = {
  anthropic: "ANTHROPIC_API_KEY",
  bedrock:
    "the AWS credentials (AWS_BEARER_TOKEN_BEDROCK, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the AWS default chain)",
  vertex:
    "the Google credentials (Application Default Credentials, GOOGLE_APPLICATION_CREDENTIALS)",
};

/** The settings that say where each provider is reached. */
export const ENDPOINT_SETTINGS: Record<ModelProvider, string> = {
  anthropic: "ANTHROPIC_BASE_URL",
  bedrock: "AWS_REGION or ANTHROPIC_BEDROCK_BASE_URL",
  vertex: "CLOUD_ML_REGION or ANTHROPIC_VERTEX_BASE_URL",
};

/** The provider's SDK client: a run streams with it, the start-up checks call more of it. */
export function providerClient(
  options: ProviderOptions,
  timeoutMs: number,
  maxRetries = 0,
): Anthropic | AnthropicBedrock | AnthropicVertex {
  const common = { maxRetries, timeout: timeoutMs };
  switch (options.provider) {
    case "anthropic":
      return new Anthropic({ ...common, apiKey: options.apiKey, baseURL: options.baseURL ?? null });
    case "bedrock":
      return bedrockClient(options, common);
    case "vertex":
      return new AnthropicVertex({
        ...common,
        projectId: options.projectId,
        region: options.region,
        baseURL: options.baseURL,
        authClient: options.authClient,
      });
  }
}

/** With both AWS keys, they sign; with neither, the AWS default credential chain decides. */
function bedrockClient(options: BedrockProvider, common: { maxRetries: number; timeout: number }) {
  const base = {
    ...common,
    awsRegion: options.region,
    baseURL: options.baseURL,
    apiKey: options.bearerToken,
  };
  const { accessKeyId, secretAccessKey } = options;
  if (accessKeyId === undefined || secretAccessKey === undefined) return new AnthropicBedrock(base);
  return new AnthropicBedrock({
    ...base,
    awsAccessKey: accessKeyId,
    awsSecretKey: secretAccessKey,
    awsSessionToken: options.sessionToken ?? null,
  });
}
