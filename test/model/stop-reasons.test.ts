// Every stop reason the Messages API has comes back from the model port as a well-formed
// Message, streamed through the real SDK; a tool call cut off mid-JSON does not break the
// stream, and can be told apart from a finished one.
import type Anthropic from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { createAnthropicModel } from "../../src/model/anthropic.ts";
import { cutOffToolUse } from "../../src/model/stop-reasons.ts";
import { startModelServer, text, toolUse } from "../support/model-server/index.ts";
import type { ModelServer, ScriptedMessage } from "../support/model-server/index.ts";
import { MODEL_REQUEST as REQUEST } from "../support/model-request.ts";

const KEY = "sk-ant-stop-test";

let server: ModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function answer(scripted: ScriptedMessage): Promise<Anthropic.Message> {
  server = await startModelServer([scripted], { apiKey: KEY });
  const model = createAnthropicModel({
    apiKey: KEY,
    baseURL: server.url,
    model: "claude-sonnet-5-5",
  });
  return model.complete(REQUEST);
}

/** What every answer has, whatever made it stop. */
function expectWellFormed(message: Anthropic.Message): void {
  expect(message).toMatchObject({ type: "message", role: "assistant", model: "claude-sonnet-5-5" });
  expect(message.id).toMatch(/^msg_/);
  expect(Array.isArray(message.content)).toBe(true);
  expect(message.usage.input_tokens).toBeGreaterThan(0);
  expect(message.usage.output_tokens).toBeGreaterThan(0);
}

describe("stop reasons", () => {
  const finished: Array<[Anthropic.StopReason, ScriptedMessage]> = [
    ["end_turn", { content: [text("All done.")], stop_reason: "end_turn" }],
    ["stop_sequence", { content: [text("Up to the marker")], stop_reason: "stop_sequence" }],
    ["pause_turn", { content: [text("Still searching...")], stop_reason: "pause_turn" }],
    [
      "tool_use",
      {
        content: [text("Running it."), toolUse("bash", { command: "ls -la" }, "toolu_ls")],
        stop_reason: "tool_use",
      },
    ],
    ["max_tokens", { content: [text("A long answer that ran ou")], stop_reason: "max_tokens" }],
    [
      "model_context_window_exceeded",
      { content: [text("The context is full")], stop_reason: "model_context_window_exceeded" },
    ],
  ];

  it.each(finished)(
    "returns a well-formed message that stopped at %s",
    async (reason, scripted) => {
      const message = await answer(scripted);

      expectWellFormed(message);
      expect(message.stop_reason).toBe(reason);
      expect(message.content.map((b) => b.type)).toEqual(scripted.content.map((b) => b.type));
      expect(cutOffToolUse(message)).toBeUndefined();
    },
  );

  it("returns a refusal with the explanation the API gives", async () => {
    const details: Anthropic.RefusalStopDetails = {
      type: "refusal",
      category: "cyber",
      explanation: "This request could enable malware development.",
    };

    const message = await answer({
      content: [text("I can't help with that.")],
      stop_reason: "refusal",
      stop_details: details,
    });

    expectWellFormed(message);
    expect(message.stop_reason).toBe("refusal");
    expect(message.stop_details).toEqual(details);
  });

  it("keeps the JSON input of a finished tool call intact", async () => {
    const input = {
      command: "printf 'ü 🚀 \"quoted\" \\\\ tab\\t'",
      timeout: 30,
      flags: [true, null],
    };

    const message = await answer({
      content: [toolUse("bash", input, "toolu_whole")],
      stop_reason: "tool_use",
    });

    expect(message.content).toEqual([
      expect.objectContaining({ type: "tool_use", id: "toolu_whole", name: "bash", input }),
    ]);
  });

  describe("a tool call cut off at max_tokens in the middle of its JSON", () => {
    const whole = JSON.stringify({
      command: "create",
      path: "src/ünï 🚀.ts",
      file_text: 'export const x = "a \\"quoted\\" \\\\ value";\n',
      insert_line: 12,
      flags: [true, false, null, { deep: -1.5e3 }],
    });
    // Every cut point: inside keys, strings, escapes, numbers, literals, arrays and objects.
    const cuts = Array.from({ length: whole.length - 1 }, (_, i) => i + 1);

    it.each(cuts)("comes back whole at %i characters, marked as cut off", async (at) => {
      const cut = toolUse("str_replace_based_edit_tool", {}, "toolu_cut");
      const message = await answer({
        content: [text("Writing the file."), cut],
        stop_reason: "max_tokens",
        rawToolInput: { toolu_cut: whole.slice(0, at) },
      });

      expectWellFormed(message);
      expect(message.stop_reason).toBe("max_tokens");
      const block = cutOffToolUse(message);
      expect(block).toMatchObject({
        type: "tool_use",
        id: "toolu_cut",
        name: "str_replace_based_edit_tool",
      });
      // What the SDK could parse of the partial JSON: a plain object, which near the end can
      // look complete; the stop reason, not the input, says the call was cut off.
      expect(Object.getPrototypeOf(block!.input)).toBe(Object.prototype);
      // The block can go back to the API in the transcript as it is.
      expect(JSON.parse(JSON.stringify(message.content))).toEqual(message.content);
    });
  });

  it("marks the last tool call of a turn stopped at the context window as cut off too", async () => {
    const message = await answer({
      content: [toolUse("bash", {}, "toolu_ctx")],
      stop_reason: "model_context_window_exceeded",
      rawToolInput: { toolu_ctx: '{"command": "make te' },
    });

    expect(cutOffToolUse(message)?.id).toBe("toolu_ctx");
  });
});
