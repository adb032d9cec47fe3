// The product counts what a compacted request is billed: through the real SDK against the
// scripted server, a request the server compacts answers with the compaction iteration beside
// the answer's, and the model port's usage (what the token and dollar budgets and the audit log
// count) is their sum, priced at the model's input and output prices.
import { afterEach, describe, expect, it } from "vitest";
import { createAnthropicModel } from "../../src/model/anthropic.ts";
import { costOf, priceOf } from "../../src/model/prices.ts";
import type { ModelRequest } from "../../src/model/types.ts";
import { reply, startModelServer, text } from "../support/model-server/index.ts";
import type { ModelServer } from "../support/model-server/index.ts";

const KEY = "sk-ant-usage-test-key";
const MODEL = "claude-sonnet-5-5";
const LONG = "word ".repeat(2_000);

let server: ModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** About 75,000 tokens of conversation: past a compaction trigger of 50,000. */
function request(compact: boolean): ModelRequest {
  const messages: ModelRequest["messages"] = [];
  for (let i = 0; i < 30; i++) {
    messages.push({ role: "user", content: `${i}: ${LONG}` });
    messages.push({ role: "assistant", content: `noted ${i}` });
  }
  messages.push({ role: "user", content: "and now?" });
  return {
    system: "You are a test.",
    messages,
    tools: [],
    maxTokens: 100,
    ...(compact
      ? {
          betas: ["context-management-2025-06-27", "compact-2026-01-12"],
          contextManagement: {
            edits: [{ type: "compact_20260112", trigger: { type: "input_tokens", value: 50_000 } }],
          },
        }
      : {}),
  };
}

async function model(turns: number) {
  server = await startModelServer(
    Array.from({ length: turns }, () => reply(text("Carrying on."))),
    { apiKey: KEY },
  );
  return createAnthropicModel({ apiKey: KEY, baseURL: server.url, model: MODEL, maxRetries: 0 });
}

describe("a compacted request's usage, as the model port counts it", () => {
  it("adds the compaction iteration's tokens and dollars to the answer's", async () => {
    const port = await model(1);
    const message = await port.complete(request(true));
    const recorded = server!.requests[0]!;
    expect(recorded.compacted).toBe(true);
    const [compaction, answer] = recorded.iterations!;
    expect(compaction!.type).toBe("compaction");
    expect(answer!.type).toBe("message");
    // Every token billed, in the top-level counts the budgets read.
    expect(message.usage.input_tokens).toBe(compaction!.input_tokens + answer!.input_tokens);
    expect(message.usage.output_tokens).toBe(compaction!.output_tokens + answer!.output_tokens);
    expect(message.usage.cache_read_input_tokens).toBe(answer!.cache_read_input_tokens);
    expect(message.usage.cache_creation_input_tokens).toBe(answer!.cache_creation_input_tokens);
    // The compaction read the whole prompt, so most of the bill is its input.
    expect(compaction!.input_tokens).toBeGreaterThan(50_000);
    // Dollars at the model's prices, each iteration priced as billed.
    const price = priceOf(MODEL)!;
    const asBilled =
      (compaction!.input_tokens * price.input + compaction!.output_tokens * price.output) / 1e6 +
      costOf(price, { ...message.usage, ...answer!, cache_creation: null });
    expect(port.cost(message.usage)).toBeCloseTo(asBilled, 10);
  });

  it("leaves a request that was not compacted as the API counted it", async () => {
    const port = await model(1);
    const message = await port.complete(request(false));
    const recorded = server!.requests[0]!;
    expect(recorded.iterations).toBeUndefined();
    expect(message.usage.input_tokens).toBe(recorded.usage!.input_tokens);
    expect(message.usage.input_tokens).toBeGreaterThan(50_000);
  });
});
