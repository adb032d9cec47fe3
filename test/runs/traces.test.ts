// A run's traces as an OpenTelemetry collector on loopback receives them: with
// OTEL_EXPORTER_OTLP_ENDPOINT set, a span per run, step, model call and tool call, nested run >
// step > call, each with the run's id, in the GenAI conventions, and none of what the run read
// or wrote; unset, nothing is sent.
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createModel } from "../../src/model/factory.ts";
import { startTracing, type Tracing } from "../../src/observability/tracing.ts";
import type { RunDependencies } from "../../src/runs/dependencies.ts";
import { STAMINA_VERSION } from "../../src/version.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { startCollector, type CollectedSpan, type Collector } from "../support/otlp-collector.ts";
import { MODEL_KEY, startHarness, type Harness } from "../support/run-harness.ts";

const ISSUE_BODY = "a.txt should say two";
const PLAN = "Make a.txt say two";

let h: Harness;
let collector: Collector;
let tracing: Tracing | undefined;
beforeEach(async () => {
  collector = await startCollector();
  h = await startHarness({
    "a.txt": "one\n",
    "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
  });
});
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  await h.close();
  await collector.close();
});

/** A green run: a plan, a call the tool refuses, the edit, the end of the work, the summary. */
async function tracedRun(): Promise<{ runId: string; state: string }> {
  tracing = await startTracing({ serviceVersion: STAMINA_VERSION, log: pino({ level: "silent" }) });
  const server = await h.model([
    { status: 529, errorType: "overloaded_error", message: "Overloaded" },
    reply(toolUse("update_plan", { plan: [PLAN] })),
    reply(toolUse("bash", {})),
    reply(editFile("a.txt", "one", "two")),
    reply(text("Changed a.txt.")),
    reply(text("a.txt says two now, as the issue asks.")),
  ]);
  await h.queue({ test: "sh check.sh" });
  const { tracer } = tracing;
  // As the worker wires it (main.ts): the run's tracer, and the model port's, the same.
  const traced: Partial<RunDependencies> = {
    tracer,
    createModel: (model) =>
      createModel({
        model,
        provider: { provider: "anthropic", apiKey: MODEL_KEY, baseURL: server.url },
        retry: { baseDelayMs: 1, maxDelayMs: 1 },
        tracer,
      }),
  };
  const finished = await h.execute(await h.claim(), {}, traced);
  // What the process does at SIGTERM: the spans not sent yet go now.
  await tracing.shutdown();
  tracing = undefined;
  return { runId: finished.id, state: finished.state };
}

const named = (spans: CollectedSpan[], prefix: string) =>
  spans.filter((s) => s.name === prefix || s.name.startsWith(`${prefix} `));

describe("traces of a run", () => {
  it("are a span per run, step, model call and tool call, nested, each with the run's id", async () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    const { runId, state } = await tracedRun();
    expect(state).toBe("succeeded");
    const { spans } = collector;
    expect(collector.requests.length).toBeGreaterThan(0);
    for (const request of collector.requests) {
      expect(request).toEqual({
        method: "POST",
        path: "/v1/traces",
        contentType: "application/json",
      });
    }

    const [run, ...more] = named(spans, "invoke_agent");
    expect(more).toEqual([]);
    expect(run).toMatchObject({ name: "invoke_agent stamina", parentSpanId: "", statusCode: 0 });
    expect(run?.resource).toMatchObject({
      "service.name": "stamina",
      "service.version": STAMINA_VERSION,
    });
    expect(run?.attributes).toMatchObject({
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "stamina",
      "gen_ai.conversation.id": runId,
      "stamina.run.id": runId,
      "stamina.run.kind": "issue",
      "stamina.repository": "octo/demo",
      "stamina.run.state": "succeeded",
      "stamina.run.steps": 5,
    });
    expect(run?.attributes["gen_ai.usage.input_tokens"]).toBeGreaterThan(0);
    expect(run?.attributes["stamina.run.dollars"]).toBeGreaterThan(0);

    const steps = named(spans, "step");
    expect(steps.map((s) => s.attributes["stamina.step"]).sort()).toEqual([1, 2, 3, 4, 5]);
    for (const step of steps) expect(step.parentSpanId).toBe(run?.spanId);
    const stepIds = new Set(steps.map((s) => s.spanId));

    // One span per call, its retry an event on it: the overloaded answer was not a call of its own.
    const chats = named(spans, "chat");
    expect(chats).toHaveLength(5);
    expect(chats[0]?.events).toEqual([
      expect.objectContaining({
        name: "retry",
        attributes: expect.objectContaining({
          attempt: 1,
          "http.response.status_code": 529,
        }) as unknown,
      }),
    ]);
    const model = (await h.store.runs.mustGet(runId)).config.model;
    for (const chat of chats) {
      expect(stepIds.has(chat.parentSpanId)).toBe(true);
      expect(chat.kind).toBe(3);
      expect(chat.name).toBe(`chat ${model}`);
      expect(chat.attributes).toMatchObject({
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": model,
        "gen_ai.request.max_tokens": 1_000,
        "server.address": "127.0.0.1",
      });
      expect(chat.attributes["gen_ai.usage.input_tokens"]).toBeGreaterThan(0);
      expect(chat.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
    }
    expect(chats.map((c) => c.attributes["gen_ai.response.finish_reasons"])).toEqual([
      ["tool_use"],
      ["tool_use"],
      ["tool_use"],
      ["end_turn"],
      ["end_turn"],
    ]);

    const tools = named(spans, "execute_tool");
    expect(tools.map((t) => t.name)).toEqual([
      "execute_tool update_plan",
      "execute_tool bash",
      "execute_tool str_replace_based_edit_tool",
    ]);
    for (const tool of tools) {
      expect(stepIds.has(tool.parentSpanId)).toBe(true);
      expect(tool.attributes["gen_ai.operation.name"]).toBe("execute_tool");
      expect(tool.attributes["gen_ai.tool.call.id"]).toMatch(/^toolu_/);
    }
    // The call the tool refused (no command) is a failed span; the others are not.
    expect(tools.map((t) => t.statusCode)).toEqual([0, 2, 0]);
    expect(tools[1]?.attributes["error.type"]).toBe("tool_error");

    // Those and no others: a library's own spans of the same calls would count their tokens twice.
    expect(spans).toHaveLength(1 + steps.length + chats.length + tools.length);
    for (const span of spans) {
      expect(span.traceId).toBe(run?.traceId);
      expect(span.attributes["stamina.run.id"]).toBe(runId);
    }
    // Ids, names and counts: nothing the run read or wrote, and no credential.
    const sent = JSON.stringify(spans);
    for (const secret of [ISSUE_BODY, PLAN, "a.txt says two now", MODEL_KEY]) {
      expect(sent).not.toContain(secret);
    }
  });

  it("are not sent, nor the SDK started, when OTEL_EXPORTER_OTLP_ENDPOINT is unset", async () => {
    const { state } = await tracedRun();
    expect(state).toBe("succeeded");
    expect(collector.requests).toEqual([]);
  });
});
