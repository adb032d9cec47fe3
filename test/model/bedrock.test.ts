// The model port on Amazon Bedrock, through the real Bedrock SDK against a fake of Bedrock's own
// wire format: its path, its body, SigV4 (checked by re-signing) and the binary event stream.
import Anthropic from "@anthropic-ai/sdk";
import { createHash, createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createModel } from "../../src/model/factory.ts";
import type { BedrockProvider } from "../../src/model/providers.ts";
import { reply, startBedrockServer, text, toolUse } from "../support/model-server/index.ts";
import type { ModelServer, ScriptedTurn } from "../support/model-server/index.ts";
import { testClock } from "../support/retry-clock.ts";
import { failureOf, MODEL_REQUEST as REQUEST } from "../support/model-request.ts";

const REGION = "eu-west-1";
const KEYS = {
  accessKeyId: "AKIDSTAMINATEST",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSTAMINA",
};
const SONNET = "global.anthropic.claude-sonnet-5-5";
const SONNET_45 = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";

let server: ModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(script: ScriptedTurn[], bearerToken?: string): Promise<ModelServer> {
  server = await startBedrockServer(script, {
    region: REGION,
    credentials: KEYS,
    bearerToken,
    models: [SONNET, SONNET_45],
  });
  return server;
}

function bedrock(s: ModelServer, overrides: Partial<BedrockProvider> = {}): BedrockProvider {
  return { provider: "bedrock", region: REGION, baseURL: s.url, ...KEYS, ...overrides };
}

describe("Amazon Bedrock", () => {
  it("sends a signed request to Bedrock's streaming path, the version in the body, and reads the event stream", async () => {
    const s = await start([
      reply(text("Looking."), toolUse("bash", { command: "ls" }, "toolu_b1")),
    ]);
    const model = createModel({ model: "claude-sonnet-5-5", provider: bedrock(s) });

    const message = await model.complete(REQUEST);

    expect(model.model).toBe(SONNET);
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([
      expect.objectContaining({ type: "text", text: "Looking." }),
      expect.objectContaining({ type: "tool_use", id: "toolu_b1", input: { command: "ls" } }),
    ]);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    const [request] = s.requests;
    expect(request).toMatchObject({
      method: "POST",
      path: `/model/${SONNET}/invoke-with-response-stream`,
      status: 200,
    });
    expect(request!.sent).toMatchObject({
      anthropic_version: expect.any(String) as string,
      max_tokens: 200,
    });
    expect(request!.sent).not.toHaveProperty("model");
    expect(request!.sent).not.toHaveProperty("stream");
    expect(request!.headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${KEYS.accessKeyId}/\\d{8}/${REGION}/bedrock/aws4_request, `,
      ),
    );
    expect(request!.headers).not.toHaveProperty("anthropic-version");
  });

  it("signs a model id with a colon in the path so that Bedrock's own check holds", async () => {
    const s = await start([reply(text("Dated."))]);
    const model = createModel({ model: "claude-sonnet-4-5", provider: bedrock(s) });

    await expect(model.complete(REQUEST)).resolves.toMatchObject({ content: [{ text: "Dated." }] });
    expect(s.requests[0]!.path).toBe(`/model/${SONNET_45}/invoke-with-response-stream`);
  });

  it("is refused, and not retried, with a wrong secret, another region or an unknown model id", async () => {
    const s = await start([]);
    const clock = testClock();
    const call = (provider: BedrockProvider, modelIds?: Record<string, string>) =>
      failureOf(
        createModel({ model: "claude-sonnet-5-5", provider, modelIds, retry: { clock } }).complete(
          REQUEST,
        ),
      );

    const wrongSecret = await call(bedrock(s, { secretAccessKey: "not-the-secret" }));
    expect(wrongSecret).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(s.requests[0]!.refusal).toMatch(/signature we calculated does not match/);

    const otherRegion = await call(bedrock(s, { region: "us-east-1" }));
    expect(otherRegion).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(s.requests[1]!.refusal).toMatch(/scoped to a valid region/);

    const unknown = await call(bedrock(s), { "claude-sonnet-5-5": "anthropic.claude-imaginary" });
    expect(unknown).toBeInstanceOf(Anthropic.BadRequestError);
    expect(s.requests[2]!.refusal).toBe("The provided model identifier is invalid.");
    expect(clock.waits).toEqual([]);
  });

  it("authenticates with a Bedrock API key as a bearer token", async () => {
    const s = await start([reply(text("Keyed."))], "bedrock-api-key-test");
    const provider: BedrockProvider = {
      provider: "bedrock",
      region: REGION,
      baseURL: s.url,
      bearerToken: "bedrock-api-key-test",
    };

    await expect(
      createModel({ model: "claude-sonnet-5-5", provider }).complete(REQUEST),
    ).resolves.toMatchObject({
      content: [{ text: "Keyed." }],
    });
    expect(s.requests[0]!.headers.authorization).toBe("Bearer bedrock-api-key-test");
  });

  it("carries betas and context management in the body, where Bedrock reads them", async () => {
    const s = await start([reply(text("Managed."))]);
    const model = createModel({ model: "claude-sonnet-5-5", provider: bedrock(s) });

    await model.complete({
      ...REQUEST,
      betas: ["context-management-2025-06-27"],
      contextManagement: { edits: [{ type: "clear_tool_uses_20250919" }] },
    });

    expect(s.requests[0]!.sent).toMatchObject({
      anthropic_beta: ["context-management-2025-06-27"],
      context_management: { edits: [{ type: "clear_tool_uses_20250919" }] },
    });
  });

  it("retries Bedrock's throttling, as a 429 and as an exception frame mid-stream", async () => {
    const s = await start([
      {
        status: 429,
        errorType: "ThrottlingException",
        message: "Too many requests, please wait before trying again.",
      },
      {
        ...reply(text("half")),
        breakAfter: {
          events: 3,
          error: { type: "throttlingException", message: "Too many tokens" },
        },
      },
      reply(text("Through.")),
    ]);
    const clock = testClock();
    const retries: unknown[] = [];
    const model = createModel({
      model: "claude-sonnet-5-5",
      provider: bedrock(s),
      retry: { clock },
    });

    const message = await model.complete(REQUEST, undefined, {
      onRetry: (r) => void retries.push(r),
    });

    expect(message.content).toMatchObject([{ text: "Through." }]);
    expect(retries).toMatchObject([
      { attempt: 1, status: 429 },
      { attempt: 2, status: undefined, errorType: "throttlingException" },
    ]);
  });
});

describe("the fake Bedrock refuses what Bedrock refuses", () => {
  const TOKEN = "bedrock-api-key-raw";
  const body = {
    anthropic_version: "bedrock-2023-05-31",
    max_tokens: 10,
    messages: [{ role: "user", content: "hi" }],
  };

  async function post(path: string, payload: unknown, authorization = `Bearer ${TOKEN}`) {
    const response = await fetch(`${server!.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization },
      body: JSON.stringify(payload),
    });
    return {
      status: response.status,
      type: response.headers.get("x-amzn-errortype"),
      body: (await response.json()) as { message: string },
    };
  }

  it("the model in the body, stream in the body, no version, another path, no credentials", async () => {
    await start([], TOKEN);
    const path = `/model/${SONNET}/invoke-with-response-stream`;

    expect(await post(path, { ...body, model: SONNET })).toMatchObject({
      status: 400,
      type: expect.stringMatching(/^ValidationException:/) as string,
      body: {
        message: expect.stringContaining("extraneous key [model] is not permitted") as string,
      },
    });
    expect((await post(path, { ...body, stream: true })).body.message).toContain(
      "extraneous key [stream]",
    );
    const { anthropic_version: _, ...unversioned } = body;
    expect((await post(path, unversioned)).body.message).toContain(
      "required key [anthropic_version] not found",
    );
    expect((await post("/v1/messages", body)).status).toBe(404);
    expect((await post(path, body, "")).status).toBe(403);
    expect(server!.remaining()).toBe(0);
  });

  it("a SigV4 signature over a different body", async () => {
    await start([]);
    const date = new Date()
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}/, "");
    const day = date.slice(0, 8);
    const path = `/model/${SONNET}/invoke-with-response-stream`;
    const host = new URL(server!.url).host;
    const signedBody = JSON.stringify(body);
    // Signed correctly for one body, then sent with another.
    const hash = createHash("sha256").update(signedBody).digest("hex");
    const canonical = [
      "POST",
      path,
      "",
      `host:${host}`,
      `x-amz-date:${date}`,
      "",
      "host;x-amz-date",
      hash,
    ].join("\n");
    const scope = `${day}/${REGION}/bedrock/aws4_request`;
    const toSign = [
      "AWS4-HMAC-SHA256",
      date,
      scope,
      createHash("sha256").update(canonical).digest("hex"),
    ].join("\n");
    let key = createHmac("sha256", `AWS4${KEYS.secretAccessKey}`).update(day).digest();
    for (const part of [REGION, "bedrock", "aws4_request"])
      key = createHmac("sha256", key).update(part).digest();
    const signature = createHmac("sha256", key).update(toSign).digest("hex");
    const authorization = `AWS4-HMAC-SHA256 Credential=${KEYS.accessKeyId}/${scope}, SignedHeaders=host;x-amz-date, Signature=${signature}`;
    const send = (payload: string) =>
      fetch(`${server!.url}${path}`, {
        method: "POST",
        headers: { "x-amz-date": date, authorization },
        body: payload,
      });

    expect((await send(JSON.stringify({ ...body, max_tokens: 99999 }))).status).toBe(403);
    // The same signature over the body it was made for passes the check (and reaches the script).
    expect((await send(signedBody)).status).toBe(500);
    expect(server!.requests.at(-1)!.refusal).toBe("scripted model server: no turn left");
  });
});
