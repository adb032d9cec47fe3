// The model port against the real Claude API. Runs only with ANTHROPIC_API_KEY set (CI has no
// key and no network, so it skips there); each call is small and capped in tokens.
import { describe, expect, it } from "vitest";
import type { ModelRequest } from "../../src/model/types.ts";
import { DEFAULT_MODEL } from "../../src/policy/config.ts";
import { createModel } from "../../src/model/factory.ts";
import { cutOffToolUse } from "../../src/model/stop-reasons.ts";

const apiKey = process.env.ANTHROPIC_API_KEY;

const noKey = apiKey === undefined || apiKey === "";

describe.skipIf(noKey)(
  `the Claude API, live${noKey ? " (skipped: no ANTHROPIC_API_KEY)" : ""}`,
  () => {
    const model = createModel({
      model: DEFAULT_MODEL,
      provider: { provider: "anthropic", apiKey: apiKey ?? "" },
      retry: { windowMs: 2 * 60_000 },
    });
    const base: Omit<ModelRequest, "messages"> = {
      system: "You are a terse test fixture. Follow the instruction exactly.",
      tools: [],
      maxTokens: 64,
    };

    it("streams an answer that ends its turn, with usage that has a price", async () => {
      const message = await model.complete({
        ...base,
        messages: [{ role: "user", content: "Reply with the single word: pong" }],
      });

      expect(message.stop_reason).toBe("end_turn");
      expect(JSON.stringify(message.content).toLowerCase()).toContain("pong");
      expect(model.cost(message.usage)).toBeGreaterThan(0);
    }, 120_000);

    it("calls a tool with JSON input the SDK assembled", async () => {
      const message = await model.complete({
        ...base,
        tools: [
          {
            name: "read_file",
            description: "Read a file from the repository",
            input_schema: {
              type: "object",
              properties: { path: { type: "string" } },
              required: ["path"],
            },
          },
        ],
        messages: [{ role: "user", content: "Use the read_file tool to read README.md." }],
      });

      expect(message.stop_reason).toBe("tool_use");
      const call = message.content.find((b) => b.type === "tool_use");
      expect(call?.input).toMatchObject({ path: expect.stringContaining("README") as string });
    }, 120_000);

    it("stops at max_tokens, a tool call cut short marked as such", async () => {
      const message = await model.complete({
        ...base,
        maxTokens: 24,
        tools: [
          {
            name: "write_file",
            description: "Write a file",
            input_schema: {
              type: "object",
              properties: { path: { type: "string" }, text: { type: "string" } },
              required: ["path", "text"],
            },
          },
        ],
        messages: [
          {
            role: "user",
            content:
              "Call write_file right away, with no text before it, to write a 300-word poem to poem.txt.",
          },
        ],
      });

      expect(message.stop_reason).toBe("max_tokens");
      if (message.content.at(-1)?.type === "tool_use") expect(cutOffToolUse(message)).toBeDefined();
    }, 120_000);
  },
);
