// The scripted model server, driven through the real Anthropic SDK over loopback.
import Anthropic, { APIError } from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { CONTEXT_MANAGEMENT_BETA, reply, startModelServer, text, toolUse } from "./index.ts";
import type { ModelServer, ScriptedTurn } from "./index.ts";

const API_KEY = "sk-ant-test-key";
const MODEL = "claude-sonnet-5-5";
const HELLO: Anthropic.MessageParam[] = [{ role: "user", content: "Hello" }];
const TOOLS: Anthropic.Tool[] = [
  { name: "read_file", description: "Read a file", input_schema: { type: "object" } },
];

let server: ModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(script: ScriptedTurn[]): Promise<ModelServer> {
  server = await startModelServer(script, { apiKey: API_KEY });
  return server;
}

function clientOf(s: ModelServer, maxRetries = 0): Anthropic {
  return new Anthropic({ apiKey: API_KEY, baseURL: s.url, maxRetries });
}

/** The APIError a call rejects with; fails the test if it resolves or throws something else. */
async function apiErrorOf(call: Promise<unknown>): Promise<APIError> {
  const outcome = await call.then(
    () => new Error("expected the call to be refused"),
    (error: unknown) => error,
  );
  if (!(outcome instanceof APIError)) throw outcome;
  return outcome;
}

function params(
  messages: Anthropic.MessageParam[],
  extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {},
): Anthropic.MessageCreateParamsNonStreaming {
  return { model: MODEL, max_tokens: 256, messages, ...extra };
}

describe("scripted model server: answers", () => {
  it("streams a text reply that the SDK assembles into the final message", async () => {
    const s = await start([reply(text("Hello from the scripted model, in a few chunks."))]);

    const final = await clientOf(s).messages.stream(params(HELLO)).finalMessage();

    expect(final.content).toEqual([
      { type: "text", text: "Hello from the scripted model, in a few chunks.", citations: null },
    ]);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.model).toBe(MODEL);
    expect(final.id).toMatch(/^msg_/);
    expect(final.usage.input_tokens).toBeGreaterThan(0);
    expect(final.usage.output_tokens).toBeGreaterThan(1);
    expect(final.usage.cache_read_input_tokens).toBe(0);
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]?.body.stream).toBe(true);
    expect(s.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(s.requests[0]?.headers["anthropic-version"]).toBeTruthy();
    expect(s.remaining()).toBe(0);
  });

  it("streams a tool_use whose JSON input arrives intact, and accepts its tool_result next", async () => {
    const input = { path: "src/ünïcode 🚀.ts", lines: [1, 2, 3], nested: { ok: true, none: null } };
    const use = toolUse("read_file", input, "toolu_read_1");
    const s = await start([reply(text("Let me look."), use), reply(text("Done."))]);
    const client = clientOf(s);

    const first = await client.messages.stream(params(HELLO, { tools: TOOLS })).finalMessage();

    expect(first.stop_reason).toBe("tool_use");
    const block = first.content[1];
    expect(block).toMatchObject({ type: "tool_use", id: "toolu_read_1", name: "read_file" });
    expect(block?.type === "tool_use" ? block.input : undefined).toEqual(input);

    const history: Anthropic.MessageParam[] = [
      ...HELLO,
      { role: "assistant", content: first.content },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_read_1", content: "x" }],
      },
    ];
    const second = await client.messages.stream(params(history, { tools: TOOLS })).finalMessage();
    expect(second.content).toMatchObject([{ type: "text", text: "Done." }]);
    expect(s.requests.map((r) => r.status)).toEqual([200, 200]);
  });

  it("answers the whole Message as JSON when the request does not stream", async () => {
    const s = await start([
      { ...reply(text("plain")), usage: { input_tokens: 7, cache_read_input_tokens: 3 } },
    ]);

    const message = await clientOf(s).messages.create(params(HELLO));

    expect(message).toMatchObject({
      type: "message",
      role: "assistant",
      content: [{ type: "text", text: "plain" }],
      stop_reason: "end_turn",
      usage: { input_tokens: 7, cache_read_input_tokens: 3, cache_creation_input_tokens: 0 },
    });
  });

  it("lets a function turn see the request it answers, and takes turns pushed later", async () => {
    const s = await start([]);
    s.push((request) => reply(text(`you sent ${request.body.messages.length} message(s)`)));

    const message = await clientOf(s).messages.create(params(HELLO));

    expect(message.content).toMatchObject([{ text: "you sent 1 message(s)" }]);
  });

  it("takes consecutive messages of one role as one turn, as the API does", async () => {
    const s = await start([reply(text("ok"))]);
    const messages: Anthropic.MessageParam[] = [
      { role: "user", content: "first part" },
      { role: "user", content: "second part" },
    ];

    await expect(clientOf(s).messages.create(params(messages))).resolves.toBeTruthy();
  });
});

describe("scripted model server: refusals", () => {
  async function expectRefused(
    request: Anthropic.MessageCreateParamsNonStreaming,
    message: string,
  ): Promise<void> {
    const s = await start([reply(text("never sent"))]);

    const error = await apiErrorOf(clientOf(s).messages.create(request));

    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.error).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringContaining(message) as string },
    });
    expect(s.remaining()).toBe(1);
    expect(s.requests[0]?.status).toBe(400);
    expect(s.requests[0]?.refusal).toContain(message);
  }

  it("refuses an orphan tool_result without consuming a turn", async () => {
    const messages: Anthropic.MessageParam[] = [
      ...HELLO,
      { role: "assistant", content: "Sure." },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_ghost", content: "x" }],
      },
    ];

    await expectRefused(
      params(messages, { tools: TOOLS }),
      "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_ghost",
    );
  });

  it("refuses a tool_use that the next user message does not answer", async () => {
    const messages: Anthropic.MessageParam[] = [
      ...HELLO,
      { role: "assistant", content: [toolUse("read_file", { path: "a" }, "toolu_unanswered")] },
      { role: "user", content: "go on" },
    ];

    await expectRefused(
      params(messages, { tools: TOOLS }),
      "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_unanswered",
    );
  });

  it("refuses a tool_result that does not come first in the user message", async () => {
    const messages: Anthropic.MessageParam[] = [
      ...HELLO,
      { role: "assistant", content: [toolUse("read_file", { path: "a" }, "toolu_late")] },
      {
        role: "user",
        content: [text("before"), { type: "tool_result", tool_use_id: "toolu_late" }],
      },
    ];

    await expectRefused(
      params(messages, { tools: TOOLS }),
      "messages.2: Did not find 1 tool_result block(s) at the beginning of this message",
    );
  });

  it("refuses five cache_control blocks and accepts four", async () => {
    const cached = { type: "ephemeral" } as const;
    const four = params(
      [{ role: "user", content: [{ ...text("a"), cache_control: cached }, text("b")] }],
      {
        system: [
          { ...text("system one"), cache_control: cached },
          { ...text("system two"), cache_control: cached },
        ],
        tools: [{ ...TOOLS[0]!, cache_control: cached }],
      },
    );
    const five = params([{ role: "user", content: [{ ...text("a"), cache_control: cached }] }], {
      ...four,
      cache_control: cached,
    });

    await expectRefused(five, "A maximum of 4 blocks with cache_control may be provided. Found 5.");
    await server?.close();
    const s = await start([reply(text("cached"))]);
    await expect(clientOf(s).messages.create(four)).resolves.toBeTruthy();
  });

  it("refuses context_management without its beta header, and accepts it with the header", async () => {
    const s = await start([reply(text("managed"))]);
    const request = {
      model: MODEL,
      max_tokens: 256,
      messages: HELLO,
      context_management: { edits: [{ type: "clear_tool_uses_20250919" as const }] },
    };

    const without = clientOf(s).beta.messages.create(request);
    await expect(without).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    expect(s.remaining()).toBe(1);
    expect(s.requests[0]?.refusal).toBe("context_management: Extra inputs are not permitted");

    const withBeta = await clientOf(s).beta.messages.create({
      ...request,
      betas: [CONTEXT_MANAGEMENT_BETA],
    });
    expect(withBeta.content).toMatchObject([{ type: "text", text: "managed" }]);
    expect(withBeta.context_management).toEqual({ applied_edits: [] });
  });

  it("refuses a request without max_tokens, and one whose first message is the assistant's", async () => {
    const noMaxTokens = {
      model: MODEL,
      messages: HELLO,
    } as Anthropic.MessageCreateParamsNonStreaming;
    await expectRefused(noMaxTokens, "max_tokens: Field required");
    await server?.close();
    await expectRefused(
      params([{ role: "assistant", content: "I start." }, ...HELLO]),
      'messages: first message must use the "user" role',
    );
  });

  it("refuses a wrong API key with 401 and an unknown route with 404", async () => {
    const s = await start([reply(text("never sent"))]);
    const stranger = new Anthropic({ apiKey: "sk-wrong", baseURL: s.url, maxRetries: 0 });

    await expect(stranger.messages.create(params(HELLO))).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
    await expect(clientOf(s).models.list()).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    expect(s.remaining()).toBe(1);
  });
});

describe("scripted model server: errors", () => {
  it("answers a scripted 529, which the SDK retries into the next scripted reply", async () => {
    const s = await start([
      {
        status: 529,
        errorType: "overloaded_error",
        message: "Overloaded",
        headers: { "retry-after": "0" },
      },
      reply(text("after the storm")),
    ]);

    const final = await clientOf(s, 1).messages.stream(params(HELLO)).finalMessage();

    expect(final.content).toMatchObject([{ text: "after the storm" }]);
    expect(s.requests.map((r) => r.status)).toEqual([529, 200]);
    expect(s.requests[1]?.headers["x-stainless-retry-count"]).toBe("1");
  });

  it("answers 500 once the script is exhausted", async () => {
    const s = await start([]);

    const error = await apiErrorOf(clientOf(s).messages.create(params(HELLO)));

    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error.status).toBe(500);
    expect(error.error).toMatchObject({
      error: { type: "api_error", message: "scripted model server: no turn left" },
    });
    expect(s.requests[0]?.status).toBe(500);
  });
});
