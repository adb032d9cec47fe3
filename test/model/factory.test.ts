// The factory: it refuses, on every provider, a model it cannot price or name, and the Claude
// API port passes what the next layers will need (betas, context management, cache breakpoints)
// through to the request.
import { afterEach, describe, expect, it } from "vitest";
import { UnmappedModelError, UnpricedModelError } from "../../src/model/errors.ts";
import { createModel } from "../../src/model/factory.ts";
import type { ProviderOptions } from "../../src/model/providers.ts";
import {
  CONTEXT_MANAGEMENT_BETA,
  reply,
  startBedrockServer,
  startModelServer,
  text,
} from "../support/model-server/index.ts";
import type { ModelServer } from "../support/model-server/index.ts";
import { MODEL_REQUEST as REQUEST } from "../support/model-request.ts";

const KEY = "sk-ant-factory-test";
const PROVIDERS: ProviderOptions[] = [
  { provider: "anthropic", apiKey: KEY },
  { provider: "bedrock", region: "us-east-1", accessKeyId: "AKID", secretAccessKey: "secret" },
  { provider: "vertex", projectId: "p", region: "us-east5" },
];

let server: ModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("the model factory", () => {
  it.each(PROVIDERS)("refuses a model with no price on $provider", (provider) => {
    expect(() => createModel({ model: "claude-imaginary-9", provider })).toThrow(
      UnpricedModelError,
    );
  });

  it("refuses a priced model that the provider has no known id for, naming the way out", () => {
    const create = () => createModel({ model: "claude-opus-5", provider: PROVIDERS[1]! });

    expect(create).toThrow(UnmappedModelError);
    expect(create).toThrow(/Amazon Bedrock.*claude-sonnet-5-5.*STAMINA_MODEL_IDS/);
  });

  it("takes the operators' id for a model, over the built-in table", async () => {
    server = await startBedrockServer([reply(text("Opus."))], {
      region: "us-east-1",
      credentials: { accessKeyId: "AKID", secretAccessKey: "secret" },
      models: ["us.anthropic.claude-opus-5"],
    });
    const model = createModel({
      model: "claude-opus-5",
      provider: {
        ...(PROVIDERS[1] as Extract<ProviderOptions, { provider: "bedrock" }>),
        baseURL: server.url,
      },
      modelIds: { "claude-opus-5": "us.anthropic.claude-opus-5" },
    });

    await expect(model.complete(REQUEST)).resolves.toMatchObject({ content: [{ text: "Opus." }] });
    expect(model.model).toBe("us.anthropic.claude-opus-5");
    expect(server.requests[0]!.path).toBe(
      "/model/us.anthropic.claude-opus-5/invoke-with-response-stream",
    );
  });

  it("prices a dated id by its family, and sends it as it is to the Claude API", async () => {
    server = await startModelServer([reply(text("Dated."))], { apiKey: KEY });
    const model = createModel({
      model: "claude-haiku-4-5-20251001",
      provider: { provider: "anthropic", apiKey: KEY, baseURL: server.url },
    });

    await model.complete(REQUEST);

    expect(server.requests[0]!.body.model).toBe("claude-haiku-4-5-20251001");
    expect(
      model.cost({ input_tokens: 1_000_000, output_tokens: 0 } as Parameters<typeof model.cost>[0]),
    ).toBe(1);
  });
});

describe("what the next layers pass through the Claude API port", () => {
  async function portTo(): Promise<ReturnType<typeof createModel>> {
    server = await startModelServer([reply(text("ok"))], { apiKey: KEY });
    return createModel({
      model: "claude-sonnet-5-5",
      provider: { provider: "anthropic", apiKey: KEY, baseURL: server.url },
    });
  }

  it("context management under its betas, through the SDK's beta messages", async () => {
    const model = await portTo();

    const message = await model.complete({
      ...REQUEST,
      betas: [CONTEXT_MANAGEMENT_BETA, "compact-2026-01-12"],
      contextManagement: {
        edits: [{ type: "clear_tool_uses_20250919" }, { type: "compact_20260112" }],
      },
    });

    const [request] = server!.requests;
    expect(request!.headers["anthropic-beta"]).toBe(
      `${CONTEXT_MANAGEMENT_BETA},compact-2026-01-12`,
    );
    expect(request!.sent.context_management).toEqual({
      edits: [{ type: "clear_tool_uses_20250919" }, { type: "compact_20260112" }],
    });
    // The beta response's own fields reach the caller.
    expect(message).toHaveProperty("context_management", { applied_edits: [] });
  });

  it("cache breakpoints on the system prompt, the tools, a message and the request itself", async () => {
    const model = await portTo();
    const ephemeral = { type: "ephemeral" } as const;

    await model.complete({
      system: [{ type: "text", text: "You are a test.", cache_control: ephemeral }],
      tools: [
        {
          name: "bash",
          description: "Run",
          input_schema: { type: "object" },
          cache_control: ephemeral,
        },
      ],
      messages: [
        {
          role: "user",
          content: [{ type: "text", text: "Go.", cache_control: { type: "ephemeral", ttl: "1h" } }],
        },
      ],
      maxTokens: 50,
      cacheControl: ephemeral,
    });

    const [request] = server!.requests;
    expect(request!.status).toBe(200);
    expect(request!.path).toBe("/v1/messages");
    expect(request!.sent).toMatchObject({
      cache_control: ephemeral,
      system: [{ cache_control: ephemeral }],
      tools: [{ cache_control: ephemeral }],
    });
  });
});

describe("a model call sent again", () => {
  it("tells the port's observer each retry with the URL the provider is reached at", async () => {
    server = await startModelServer(
      [{ status: 529, errorType: "overloaded_error", message: "Overloaded" }, reply(text("Done."))],
      { apiKey: KEY },
    );
    const seen: Array<{ attempt: number; status: number | undefined; endpoint: string }> = [];
    const model = createModel({
      model: "claude-sonnet-5-5",
      provider: { provider: "anthropic", apiKey: KEY, baseURL: server.url },
      retry: { baseDelayMs: 1, maxDelayMs: 1 },
      onRetry: (retry, endpoint) =>
        seen.push({ attempt: retry.attempt, status: retry.status, endpoint }),
    });
    const hooked: number[] = [];
    await expect(
      model.complete(REQUEST, undefined, { onRetry: (r) => void hooked.push(r.attempt) }),
    ).resolves.toMatchObject({ content: [{ text: "Done." }] });
    expect(seen).toEqual([{ attempt: 1, status: 529, endpoint: server.url }]);
    expect(hooked).toEqual([1]);
  });
});
