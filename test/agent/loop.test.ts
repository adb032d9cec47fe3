// The agent loop through the real Anthropic SDK against the scripted model
// server, with the real tools on a temporary worktree.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runAgent, type AgentOptions } from "../../src/agent/loop.ts";
import type { AuditSink, StepCheckpoint } from "../../src/agent/ports.ts";
import { createBashTool } from "../../src/agent/tools/bash.ts";
import { createEditorTool } from "../../src/agent/tools/editor.ts";
import { createAnthropicModel } from "../../src/model/anthropic.ts";
import { commandEnvironment, createSandbox } from "../../src/workspace/sandbox.ts";
import {
  reply,
  startModelServer,
  text,
  toolUse,
  type ModelServer,
  type ScriptedTurn,
} from "../support/model-server/index.ts";

const KEY = "sk-ant-loop-test-key";
let dir: string;
let worktree: string;
let server: ModelServer | undefined;
let events: Array<{ type: string; data: Record<string, unknown> }>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stamina-loop-"));
  worktree = join(dir, "worktree");
  for (const sub of ["worktree", "home", "tmp", "out"]) mkdirSync(join(dir, sub));
  events = [];
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function agent(script: ScriptedTurn[], overrides: Partial<AgentOptions> = {}) {
  server = await startModelServer(script, { apiKey: KEY });
  const audit: AuditSink = {
    record: (type, data) => {
      events.push({ type, data });
      return Promise.resolve();
    },
  };
  const sandbox = createSandbox({ kind: "process" });
  return runAgent({
    model: createAnthropicModel({
      apiKey: KEY,
      baseURL: server.url,
      model: "claude-sonnet-5-5",
      maxRetries: 2,
    }),
    audit,
    system: "You are a test.",
    task: "Do the task.",
    maxSteps: 10,
    maxTokens: 1_000,
    signal: new AbortController().signal,
    tools: [
      createBashTool({
        sandbox,
        worktree,
        env: commandEnvironment({ home: join(dir, "home"), tmpdir: join(dir, "tmp") }),
        outputDir: join(dir, "out"),
        timeoutMs: 10_000,
      }),
      createEditorTool(worktree),
    ],
    ...overrides,
  });
}

describe("the agent loop", () => {
  it("runs the tools the model calls and stops at end_turn with its summary", async () => {
    const result = await agent([
      reply(
        toolUse("str_replace_based_edit_tool", {
          command: "create",
          path: "hello.txt",
          file_text: "hi\n",
        }),
      ),
      reply(toolUse("bash", { command: "cat hello.txt && echo done" })),
      reply(text("Created hello.txt.")),
    ]);
    expect(result).toMatchObject({ stop: "end_turn", steps: 3, summary: "Created hello.txt." });
    expect(readFileSync(join(worktree, "hello.txt"), "utf8")).toBe("hi\n");
    const bashResult = JSON.stringify(server!.requests[2]!.body.messages.at(-1));
    expect(bashResult).toContain("hi\\ndone");
    expect(events.map((e) => e.type)).toEqual([
      "model.request",
      "model.response",
      "tool.call",
      "tool.result",
      "model.request",
      "model.response",
      "tool.call",
      "tool.result",
      "model.request",
      "model.response",
    ]);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
  });

  it("answers a path outside the worktree with an error result and goes on", async () => {
    const result = await agent([
      reply(
        toolUse("str_replace_based_edit_tool", { command: "view", path: "../../../etc/passwd" }),
      ),
      reply(text("Understood.")),
    ]);
    expect(result.stop).toBe("end_turn");
    const toolResult = server!.requests[1]!.body.messages.at(-1)!.content as Array<{
      is_error?: boolean;
      content: string;
    }>;
    expect(toolResult[0]!.is_error).toBe(true);
    expect(toolResult[0]!.content).toMatch(/outside/i);
  });

  it("answers bad tool input and unknown tools with errors the model can act on", async () => {
    await agent([
      reply(toolUse("bash", { command: 42 }), toolUse("no_such_tool", {})),
      reply(text("ok")),
    ]);
    const results = server!.requests[1]!.body.messages.at(-1)!.content as Array<{
      is_error?: boolean;
      content: string;
    }>;
    expect(results.map((r) => r.is_error)).toEqual([true, true]);
    expect(results[0]!.content).toContain("Invalid input for bash");
    expect(results[1]!.content).toContain("no tool named no_such_tool");
  });

  it("stops at the step limit", async () => {
    const loop = Array.from({ length: 3 }, () => reply(toolUse("bash", { command: "true" })));
    const result = await agent(loop, { maxSteps: 3 });
    expect(result).toMatchObject({ stop: "step_limit", steps: 3 });
  });

  it("pairs a tool call cut off at max_tokens with an error result", async () => {
    const result = await agent([
      { content: [toolUse("bash", { command: "echo partial" })], stop_reason: "max_tokens" },
      reply(text("Done.")),
    ]);
    expect(result.stop).toBe("end_turn");
    const results = server!.requests[1]!.body.messages.at(-1)!.content as Array<{
      is_error?: boolean;
      content: string;
    }>;
    expect(results[0]!.is_error).toBe(true);
    expect(results[0]!.content).toContain("cut off");
  });

  it("stops on a refusal", async () => {
    const result = await agent([
      { content: [text("I can't help with that.")], stop_reason: "refusal" },
    ]);
    expect(result.stop).toBe("refusal");
  });

  it("rides out an overloaded model through the SDK's retries", async () => {
    const result = await agent([
      {
        status: 529,
        errorType: "overloaded_error",
        message: "Overloaded",
        headers: { "retry-after-ms": "1" },
      },
      reply(text("Back.")),
    ]);
    expect(result).toMatchObject({ stop: "end_turn", summary: "Back." });
    expect(server!.requests.map((r) => r.status)).toEqual([529, 200]);
  });

  it("hands each step's messages to onStep, and a resumed loop sends the same transcript", async () => {
    const script = () => [
      reply(toolUse("bash", { command: "echo one" }, "toolu_resume_1")),
      reply(toolUse("bash", { command: "echo two" }, "toolu_resume_2")),
      reply(text("Both done.")),
    ];
    const whole = await agent(script());
    const uninterrupted = server!.requests.map((r) => r.body.messages);
    await server!.close();

    // The same session, stopped after its first step: a crash right after the checkpoint.
    const checkpoints: StepCheckpoint[] = [];
    const controller = new AbortController();
    const first = await agent(script(), {
      signal: controller.signal,
      onStep: (c) => {
        checkpoints.push(structuredClone(c));
        controller.abort();
      },
    });
    expect(first).toMatchObject({ stop: "aborted", steps: 1 });
    expect(checkpoints).toHaveLength(1);
    expect(checkpoints[0]!.step).toBe(1);
    // The task, the model's tool call and its result: everything step 1 appended.
    expect(checkpoints[0]!.added.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    await server!.close();

    const resumed = await agent(script().slice(1), {
      resume: {
        step: 1,
        messages: checkpoints.flatMap((c) => c.added),
        state: checkpoints[0]!.state,
      },
      onStep: (c) => {
        checkpoints.push(structuredClone(c));
      },
    });
    expect(resumed).toMatchObject({ stop: "end_turn", steps: 3, summary: "Both done." });
    expect(resumed.usage.inputTokens).toBe(whole.usage.inputTokens);
    expect(checkpoints.map((c) => c.step)).toEqual([1, 2, 3]);
    expect(server!.requests.map((r) => r.body.messages)).toEqual(uninterrupted.slice(1));
    // Appended once each: the checkpoints together are the whole transcript.
    const transcript = checkpoints.flatMap((c) => c.added);
    expect(transcript).toEqual([
      ...uninterrupted.at(-1)!,
      expect.objectContaining({ role: "assistant" }),
    ]);
  });
});
