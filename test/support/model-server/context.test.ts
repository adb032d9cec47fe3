// The scripted model server's prompt cache and server-side context management, through the real
// SDK: what it bills and what it refuses must be what the API bills and refuses, or the context
// manager's tests and the tokens benchmark would measure a fake that agrees with anything.
import Anthropic, { APIError } from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { reply, startModelServer, text } from "./index.ts";
import type { ModelServer } from "./index.ts";

const API_KEY = "sk-ant-test-key";
const BETAS = ["context-management-2025-06-27", "compact-2026-01-12"];
const LONG = "word ".repeat(2_000);

let server: ModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function client(turns: number, contextWindow?: number): Promise<Anthropic> {
  server = await startModelServer(
    Array.from({ length: turns }, () => reply(text("ok"))),
    { apiKey: API_KEY, contextWindow },
  );
  return new Anthropic({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0 });
}

async function refusalOf(call: Promise<unknown>): Promise<string> {
  const outcome = await call.then(
    () => new Error("expected the call to be refused"),
    (error: unknown) => error,
  );
  if (!(outcome instanceof APIError)) throw outcome;
  expect(outcome.status).toBe(400);
  return outcome.message;
}

const cached = { type: "ephemeral" } as const;

describe("the prompt cache", () => {
  it("writes at a breakpoint, reads the shared prefix later, and bills only what differs", async () => {
    const sdk = await client(3);
    const system: Anthropic.TextBlockParam[] = [
      { type: "text", text: LONG, cache_control: cached },
    ];
    const first = await sdk.messages.create({
      model: "claude-sonnet-5-5",
      max_tokens: 100,
      system,
      messages: [{ role: "user", content: "first question" }],
    });
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(2_000);

    const second = await sdk.messages.create({
      model: "claude-sonnet-5-5",
      max_tokens: 100,
      system,
      messages: [{ role: "user", content: "another question" }],
    });
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    expect(second.usage.input_tokens).toBeLessThan(20);

    // Another system prompt shares nothing: no read.
    const third = await sdk.messages.create({
      model: "claude-sonnet-5-5",
      max_tokens: 100,
      system: [{ type: "text", text: `${LONG}!`, cache_control: cached }],
      messages: [{ role: "user", content: "another question" }],
    });
    expect(third.usage.cache_read_input_tokens).toBe(0);
  });
});

describe("server-side context management", () => {
  it("refuses compaction without its beta, on a model without it, and under its minimum trigger", async () => {
    const sdk = await client(1);
    const request = {
      model: "claude-sonnet-5-5",
      max_tokens: 100,
      messages: [{ role: "user" as const, content: "hi" }],
      context_management: { edits: [{ type: "compact_20260112" as const }] },
    };
    expect(
      await refusalOf(
        sdk.beta.messages.create({ ...request, betas: ["context-management-2025-06-27"] }),
      ),
    ).toContain("requires the compact-2026-01-12 beta");
    expect(
      await refusalOf(
        sdk.beta.messages.create({ ...request, model: "claude-haiku-4-5", betas: BETAS }),
      ),
    ).toContain("not supported on claude-haiku-4-5");
    expect(
      await refusalOf(
        sdk.beta.messages.create({
          ...request,
          betas: BETAS,
          context_management: {
            edits: [{ type: "compact_20260112", trigger: { type: "input_tokens", value: 1_000 } }],
          },
        }),
      ),
    ).toContain("at least 50000");
    expect(server!.remaining()).toBe(1);
  });

  it("clears old tool results past the trigger, keeping the last ones, and says so", async () => {
    const sdk = await client(1);
    const messages: Anthropic.Beta.BetaMessageParam[] = [{ role: "user", content: "go" }];
    for (let i = 0; i < 5; i++) {
      messages.push({
        role: "assistant",
        content: [{ type: "tool_use", id: `toolu_${i}`, name: "read", input: {} }],
      });
      messages.push({
        role: "user",
        content: [{ type: "tool_result", tool_use_id: `toolu_${i}`, content: LONG }],
      });
    }
    const answer = await sdk.beta.messages.create({
      model: "claude-sonnet-5-5",
      max_tokens: 100,
      tools: [{ name: "read", input_schema: { type: "object" } }],
      messages,
      betas: ["context-management-2025-06-27"],
      context_management: {
        edits: [
          {
            type: "clear_tool_uses_20250919",
            trigger: { type: "input_tokens", value: 5_000 },
            keep: { type: "tool_uses", value: 2 },
          },
        ],
      },
    });
    expect(answer.context_management?.applied_edits).toMatchObject([
      { type: "clear_tool_uses_20250919", cleared_tool_uses: 3 },
    ]);
    // Billed on what the model read: two results whole, three cleared.
    expect(answer.usage.input_tokens).toBeLessThan(3 * 2_600);
    expect(answer.usage.input_tokens).toBeGreaterThan(2 * 2_400);
  });

  it("refuses a prompt longer than the model's context window, as too long", async () => {
    const sdk = await client(1, 1_000);
    const message = await refusalOf(
      sdk.messages.create({
        model: "claude-sonnet-5-5",
        max_tokens: 100,
        messages: [{ role: "user", content: LONG }],
      }),
    );
    expect(message).toMatch(/prompt is too long: \d+ tokens > 1000 maximum/);
  });
});
