// A real `stamina all` with OTEL_EXPORTER_OTLP_ENDPOINT set: the worker's run is traced as
// main.ts wires it (the run, its steps, its model calls and tool calls), and at SIGTERM the
// spans not sent yet reach the collector before the process exits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCollector, type Collector } from "../support/otlp-collector.ts";
import { startWorld, type World } from "../support/world.ts";

let world: World;
let collector: Collector;
beforeAll(async () => {
  world = await startWorld();
  collector = await startCollector();
}, 60_000);
afterAll(async () => {
  await world.close();
  await collector.close();
});

describe("a traced process stopped by SIGTERM", () => {
  it("sends the run's spans, the run handed back included, before it exits", async () => {
    const app = world.start("all", { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    await app.waitForLog(
      new RegExp(`"msg":"traces: [^"]* sent to ${collector.url}/v1/traces"`),
      "the traces' endpoint in the log",
    );
    expect((await world.label(await app.webhookUrl(), 1)).status).toBe(202);
    await world.stepThreeRunning(1);
    app.child.kill("SIGTERM");
    await app.waitForLog(/shutting down/, "the shutdown to begin");
    world.openGate(1);
    expect(await app.exited).toBe(0);

    const { spans } = collector;
    const runs = spans.filter((s) => s.name === "invoke_agent stamina");
    expect(runs).toHaveLength(1);
    const [run] = runs;
    // Ended at the hand-back, moments before the exit: only the shutdown's flush sent it.
    expect(run?.attributes).toMatchObject({
      "stamina.run.state": "queued",
      "stamina.run.steps": 3,
    });
    expect(run?.resource["service.name"]).toBe("stamina");
    const steps = spans.filter((s) => s.name === "step");
    expect(steps.map((s) => s.attributes["stamina.step"]).sort()).toEqual([1, 2, 3]);
    const stepIds = new Set(steps.map((s) => s.spanId));
    for (const step of steps) expect(step.parentSpanId).toBe(run?.spanId);
    const calls = spans.filter((s) => /^(chat|execute_tool) /.test(s.name));
    expect(calls.filter((s) => s.name.startsWith("chat "))).toHaveLength(3);
    expect(calls.filter((s) => s.name.startsWith("execute_tool "))).toHaveLength(3);
    for (const call of calls) expect(stepIds.has(call.parentSpanId)).toBe(true);
    for (const span of spans) {
      expect(span.attributes["stamina.run.id"]).toBe(run?.attributes["stamina.run.id"]);
    }
  });
});
