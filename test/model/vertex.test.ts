// The model port on Google Vertex AI, through the real Vertex SDK and a real Google auth client
// against a fake of Vertex's own wire format: its path, its body, its OAuth bearer token.
import Anthropic from "@anthropic-ai/sdk";
import { OAuth2Client } from "google-auth-library";
import { afterEach, describe, expect, it } from "vitest";
import { createModel } from "../../src/model/factory.ts";
import type { VertexProvider } from "../../src/model/providers.ts";
import { reply, startVertexServer, text, toolUse } from "../support/model-server/index.ts";
import type { ModelServer, ScriptedTurn } from "../support/model-server/index.ts";
import { testClock } from "../support/retry-clock.ts";
import { failureOf, MODEL_REQUEST as REQUEST } from "../support/model-request.ts";

const PROJECT = "stamina-test-project";
const REGION = "us-east5";
const TOKEN = "ya29.stamina-test-token";

let server: ModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(script: ScriptedTurn[]): Promise<ModelServer> {
  server = await startVertexServer(script, {
    projectId: PROJECT,
    region: REGION,
    accessToken: TOKEN,
    models: ["claude-sonnet-5-5", "claude-haiku-4-5@20251001"],
  });
  return server;
}

/** A Google OAuth client holding an access token that has not expired, as ADC would hand one out. */
function authWith(token: string): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return client;
}

function vertex(s: ModelServer, overrides: Partial<VertexProvider> = {}): VertexProvider {
  return {
    provider: "vertex",
    projectId: PROJECT,
    region: REGION,
    baseURL: s.url,
    authClient: authWith(TOKEN),
    ...overrides,
  };
}

describe("Google Vertex AI", () => {
  it("streams from the publisher model's streamRawPredict path, the version in the body, no model there", async () => {
    const s = await start([
      reply(text("Looking."), toolUse("bash", { command: "ls" }, "toolu_v1")),
    ]);
    const model = createModel({ model: "claude-sonnet-5-5", provider: vertex(s) });

    const message = await model.complete(REQUEST);

    expect(model.model).toBe("claude-sonnet-5-5");
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([
      expect.objectContaining({ type: "text", text: "Looking." }),
      expect.objectContaining({ type: "tool_use", id: "toolu_v1", input: { command: "ls" } }),
    ]);
    const [request] = s.requests;
    expect(request!.path).toBe(
      `/v1/projects/${PROJECT}/locations/${REGION}/publishers/anthropic/models/claude-sonnet-5-5:streamRawPredict`,
    );
    expect(request!.sent).toMatchObject({
      anthropic_version: expect.any(String) as string,
      stream: true,
    });
    expect(request!.sent).not.toHaveProperty("model");
    expect(request!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request!.headers).not.toHaveProperty("x-api-key");
  });

  it("names a dated model as Vertex does, `name@date`", async () => {
    const s = await start([reply(text("Haiku."))]);

    await createModel({ model: "claude-haiku-4-5", provider: vertex(s) }).complete(REQUEST);

    expect(decodeURIComponent(s.requests[0]!.path)).toContain(
      "/models/claude-haiku-4-5@20251001:streamRawPredict",
    );
  });

  it("is refused, and not retried, with a wrong token, another project or another region", async () => {
    const s = await start([]);
    const clock = testClock();
    const call = (provider: VertexProvider) =>
      failureOf(
        createModel({ model: "claude-sonnet-5-5", provider, retry: { clock } }).complete(REQUEST),
      );

    expect(await call(vertex(s, { authClient: authWith("ya29.stolen") }))).toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
    expect(await call(vertex(s, { projectId: "someone-else" }))).toBeInstanceOf(
      Anthropic.PermissionDeniedError,
    );
    expect(await call(vertex(s, { region: "europe-west1" }))).toBeInstanceOf(
      Anthropic.NotFoundError,
    );
    expect(s.requests.map((r) => r.status)).toEqual([401, 403, 404]);
    expect(clock.waits).toEqual([]);
  });

  it("sends betas as the anthropic-beta header, and context management in the body", async () => {
    const s = await start([reply(text("Managed."))]);

    await createModel({ model: "claude-sonnet-5-5", provider: vertex(s) }).complete({
      ...REQUEST,
      betas: ["context-management-2025-06-27"],
      contextManagement: { edits: [{ type: "clear_tool_uses_20250919" }] },
    });

    expect(s.requests[0]!.headers["anthropic-beta"]).toBe("context-management-2025-06-27");
    expect(s.requests[0]!.sent).toHaveProperty("context_management");
  });
});

describe("the fake Vertex refuses what Vertex refuses", () => {
  const path = `/projects/${PROJECT}/locations/${REGION}/publishers/anthropic/models/claude-sonnet-5-5:streamRawPredict`;
  const body = {
    anthropic_version: "vertex-2023-10-16",
    max_tokens: 10,
    stream: true,
    messages: [{ role: "user", content: "hi" }],
  };

  async function post(to: string, payload: unknown, authorization = `Bearer ${TOKEN}`) {
    const response = await fetch(`${server!.url}${to}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization },
      body: JSON.stringify(payload),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it("the model in the body, no version, an unknown version, another path, no token", async () => {
    await start([]);

    expect(await post(path, { ...body, model: "claude-sonnet-5-5" })).toMatchObject({
      status: 400,
      body: {
        error: { type: "invalid_request_error", message: "model: Extra inputs are not permitted" },
      },
    });
    const { anthropic_version: _, ...unversioned } = body;
    expect((await post(path, unversioned)).status).toBe(400);
    expect((await post(path, { ...body, anthropic_version: "bedrock-2023-05-31" })).status).toBe(
      400,
    );
    expect((await post("/messages", body)).status).toBe(404);
    expect(await post(path, body, "")).toMatchObject({
      status: 401,
      body: { error: { code: 401, status: "UNAUTHENTICATED" } },
    });
    expect(server!.requests.every((r) => r.status >= 400)).toBe(true);
  });
});
