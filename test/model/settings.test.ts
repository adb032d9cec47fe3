// The model provider's settings: the default is the Claude API; Bedrock and Vertex ask for their
// own variables instead of an Anthropic key, and a bad value names the variable.
import { describe, expect, it } from "vitest";
import { readSettings, requireAppSettings, SettingsError } from "../../src/settings.ts";
import { modelSecrets } from "../../src/model-settings.ts";

const APP = { APP_ID: "1", PRIVATE_KEY: "pem", WEBHOOK_SECRET: "hook" };

function secretsOf(env: Record<string, string>) {
  return requireAppSettings(readSettings({ ...APP, ...env }));
}

describe("model provider settings", () => {
  it("defaults to the Claude API, which needs ANTHROPIC_API_KEY, and a 15-minute retry window", () => {
    const settings = readSettings(APP);
    expect(settings.model).toMatchObject({
      provider: "anthropic",
      retryWindowMs: 15 * 60_000,
      modelIds: {},
    });
    expect(() => requireAppSettings(settings)).toThrow(/Missing settings: ANTHROPIC_API_KEY \(see/);
    expect(secretsOf({ ANTHROPIC_API_KEY: "sk-ant-x" }).modelProvider).toEqual({
      provider: "anthropic",
      apiKey: "sk-ant-x",
      baseURL: undefined,
    });
  });

  it("takes Bedrock without an Anthropic key, asking for AWS_REGION", () => {
    expect(() => secretsOf({ STAMINA_MODEL_PROVIDER: "bedrock" })).toThrow(
      "Missing settings: AWS_REGION for STAMINA_MODEL_PROVIDER=bedrock (see .env.example)",
    );
    const secrets = secretsOf({
      STAMINA_MODEL_PROVIDER: "bedrock",
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "AKID",
      AWS_SECRET_ACCESS_KEY: "aws-secret",
    });
    expect(secrets.modelProvider).toMatchObject({
      provider: "bedrock",
      region: "eu-west-1",
      accessKeyId: "AKID",
      secretAccessKey: "aws-secret",
    });
    expect(secrets.anthropicApiKey).toBeUndefined();
  });

  it("takes Vertex with its project and region", () => {
    expect(() => secretsOf({ STAMINA_MODEL_PROVIDER: "vertex" })).toThrow(
      /ANTHROPIC_VERTEX_PROJECT_ID, CLOUD_ML_REGION for STAMINA_MODEL_PROVIDER=vertex/,
    );
    expect(
      secretsOf({
        STAMINA_MODEL_PROVIDER: "vertex",
        ANTHROPIC_VERTEX_PROJECT_ID: "p",
        CLOUD_ML_REGION: "global",
      }).modelProvider,
    ).toEqual({ provider: "vertex", projectId: "p", region: "global", baseURL: undefined });
  });

  it("reads the retry window and the operators' model ids, and names a bad one", () => {
    const settings = readSettings({
      ...APP,
      STAMINA_MODEL_RETRY_MINUTES: "2.5",
      STAMINA_MODEL_IDS: '{"claude-opus-5": "us.anthropic.claude-opus-5"}',
    });
    expect(settings.model.retryWindowMs).toBe(150_000);
    expect(settings.model.modelIds).toEqual({ "claude-opus-5": "us.anthropic.claude-opus-5" });
    expect(() => readSettings({ STAMINA_MODEL_IDS: "{not json" })).toThrow(SettingsError);
    expect(() => readSettings({ STAMINA_MODEL_IDS: "{not json" })).toThrow(
      /STAMINA_MODEL_IDS: must be JSON/,
    );
    expect(() => readSettings({ STAMINA_MODEL_PROVIDER: "azure" })).toThrow(
      /STAMINA_MODEL_PROVIDER/,
    );
  });

  it("hands every credential to the redactor", () => {
    const settings = readSettings({
      STAMINA_MODEL_PROVIDER: "bedrock",
      AWS_SECRET_ACCESS_KEY: "aws-secret",
      AWS_SESSION_TOKEN: "aws-session",
      AWS_BEARER_TOKEN_BEDROCK: "bedrock-key",
    });
    expect(modelSecrets(settings.model).sort()).toEqual([
      "aws-secret",
      "aws-session",
      "bedrock-key",
    ]);
  });
});
