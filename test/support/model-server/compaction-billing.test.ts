// A compacted request is billed as the API bills it: two sampling iterations, the compaction
// reading the whole prompt from before compaction and writing the summary, then the answer over
// the compacted prompt. The top-level usage is the answer's alone; `usage.iterations` lists both,
// and the bill is their sum. Through the real SDK, streamed and not, so the tokens benchmark and
// the product's budget see what a real run would be charged.
import Anthropic from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { reply, startModelServer, text } from "./index.ts";
import type { ModelServer } from "./index.ts";

const API_KEY = "sk-ant-test-key";
const MODEL = "claude-sonnet-5-5";
const BETAS = ["context-management-2025-06-27", "compact-2026-01-12"];
const LONG = "word ".repeat(2_000);
const TRIGGER = 50_000;

let server: ModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A conversation of about 75,000 tokens, past the compaction trigger. */
function longConversation(): Anthropic.Beta.BetaMessageParam[] {
  const messages: Anthropic.Beta.BetaMessageParam[] = [];
  for (let i = 0; i < 30; i++) {
    messages.push({ role: "user", content: `${i}: ${LONG}` });
    messages.push({ role: "assistant", content: `noted ${i}` });
  }
  messages.push({ role: "user", content: "and now?" });
  return messages;
}

const compacting = {
  model: MODEL,
  max_tokens: 100,
  messages: longConversation(),
  betas: BETAS,
  context_management: {
    edits: [
      {
        type: "compact_20260112" as const,
        trigger: { type: "input_tokens" as const, value: TRIGGER },
      },
    ],
  },
};

type Iterations = NonNullable<Anthropic.Beta.BetaUsage["iterations"]>;

async function start(turns: number): Promise<Anthropic> {
  server = await startModelServer(
    Array.from({ length: turns }, () => reply(text("Carrying on from the summary."))),
    { apiKey: API_KEY },
  );
  return new Anthropic({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0 });
}

/** The prompt's tokens uncompacted: the same conversation sent with no edits and no cache. */
async function wholePrompt(sdk: Anthropic): Promise<number> {
  const plain = await sdk.messages.create({
    model: MODEL,
    max_tokens: 100,
    messages: longConversation() as Anthropic.MessageParam[],
  });
  return plain.usage.input_tokens;
}

function expectBilledAsTheApi(
  usage: Anthropic.Beta.BetaUsage,
  whole: number,
): { compaction: Iterations[number]; message: Iterations[number] } {
  const iterations = usage.iterations ?? [];
  expect(iterations.map((i) => i.type)).toEqual(["compaction", "message"]);
  const [compaction, message] = iterations as [Iterations[number], Iterations[number]];
  // The compaction iteration reads the whole prompt from before compaction, uncached.
  expect(whole).toBeGreaterThan(TRIGGER);
  expect(compaction.input_tokens).toBe(whole);
  expect(compaction.cache_read_input_tokens).toBe(0);
  expect(compaction.output_tokens).toBeGreaterThan(0);
  // The top-level usage is the message iteration's alone: the compacted prompt and the answer.
  expect(usage.input_tokens).toBe(message.input_tokens);
  expect(usage.output_tokens).toBe(message.output_tokens);
  expect(message.input_tokens).toBeLessThan(whole / 10);
  return { compaction, message };
}

describe("a compacted request's bill", () => {
  it("lists the compaction iteration, which read the whole prompt, beside the answer's", async () => {
    const sdk = await start(2);
    const whole = await wholePrompt(sdk);
    const answer = await sdk.beta.messages.create(compacting);
    expect(answer.content[0]?.type).toBe("compaction");
    const { compaction, message } = expectBilledAsTheApi(answer.usage, whole);
    // Recorded for the benchmarks to total: the same iterations, the bill their sum.
    const recorded = server!.requests.at(-1)!;
    expect(recorded.compacted).toBe(true);
    expect(recorded.iterations).toEqual(answer.usage.iterations);
    const billed = (recorded.iterations ?? []).reduce((n, i) => n + i.input_tokens, 0);
    expect(billed).toBe(compaction.input_tokens + message.input_tokens);
    // What the model read after compaction: the summary alone.
    expect(recorded.read?.messages).toHaveLength(1);
  });

  it("streams the same iterations, which the SDK's final message keeps", async () => {
    const sdk = await start(2);
    const whole = await wholePrompt(sdk);
    const answer = await sdk.beta.messages.stream(compacting).finalMessage();
    expectBilledAsTheApi(answer.usage, whole);
    expect(server!.requests.at(-1)!.iterations).toEqual(answer.usage.iterations);
  });

  it("lists no iterations when the prompt stays under the trigger", async () => {
    const sdk = await start(1);
    const answer = await sdk.beta.messages.create({
      ...compacting,
      messages: [{ role: "user", content: "short" }],
    });
    expect(answer.usage.iterations ?? undefined).toBeUndefined();
    expect(server!.requests[0]!.iterations).toBeUndefined();
  });
});
