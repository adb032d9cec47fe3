// How the agent loop ends a step and a run, through the real Anthropic SDK
// against the scripted model server with the real tools on a git worktree:
// every stop reason the model answers with, and every budget.
import { afterEach, describe, expect, it } from "vitest";
import type { StepCheckpoint } from "../../src/agent/ports.ts";
import {
  reply,
  text,
  toolUse,
  type ScriptedMessage,
  type ScriptedTurn,
} from "../support/model-server/index.ts";
import { agentFixture, bash, lastMessageOf, toolResultsOf, type AgentFixture } from "./fixture.ts";

let fx: AgentFixture;

afterEach(async () => {
  await fx.close();
});

describe("each stop reason", () => {
  it("end_turn and stop_sequence end the turn for the harness to verify", async () => {
    fx = agentFixture({});
    for (const stop_reason of ["end_turn", "stop_sequence"] as const) {
      const result = await fx.run([{ content: [text("Nothing needed.")], stop_reason }]);
      // Nothing changed, so there is nothing to review.
      expect(result).toMatchObject({ stop: "completed", steps: 1, summary: "Nothing needed." });
    }
  });

  it("tool_use runs the tools and sends their results back", async () => {
    fx = agentFixture({});
    await fx.run([bash("echo ran", "toolu_stop_1"), reply(text("ok"))]);
    expect(toolResultsOf(fx.server(), 1)).toEqual([
      { type: "tool_result", tool_use_id: "toolu_stop_1", content: "ran\n", is_error: false },
    ]);
  });

  it("max_tokens without a tool call asks the model to continue", async () => {
    fx = agentFixture({});
    const result = await fx.run([
      { content: [text("The first half of")], stop_reason: "max_tokens" },
      reply(text("the answer.")),
    ]);
    expect(result.stop).toBe("completed");
    expect(lastMessageOf(fx.server(), 1)).toContain("cut off at the output token limit");
  });

  it("max_tokens with a cut-off tool call answers it with an error instead of running it", async () => {
    fx = agentFixture({});
    const result = await fx.run([
      {
        content: [
          toolUse("bash", { command: "echo first" }),
          toolUse("bash", { command: "touch x" }),
        ],
        stop_reason: "max_tokens",
      },
      // A call followed by text was written whole before the limit: it runs.
      {
        content: [toolUse("bash", { command: "echo whole" }), text("And then I")],
        stop_reason: "max_tokens",
      },
      reply(text("Done.")),
    ]);
    expect(result.stop).toBe("completed");
    const results = toolResultsOf(fx.server(), 1);
    expect(results.map((r) => r.is_error)).toEqual([false, true]);
    expect(results[1]!.content).toContain("cut off");
    expect(toolResultsOf(fx.server(), 2)).toMatchObject([{ content: "whole\n", is_error: false }]);
    expect(fx.git("status", "--porcelain")).toBe("");
  });

  it("pause_turn sends the paused turn back for the model to go on", async () => {
    fx = agentFixture({});
    const result = await fx.run([
      { content: [text("Still thinking.")], stop_reason: "pause_turn" },
      reply(text("Done thinking.")),
    ]);
    expect(result).toMatchObject({ stop: "completed", steps: 2, summary: "Done thinking." });
    const second = fx.server().requests[1]!.body.messages;
    expect(second.at(-1)).toMatchObject({ role: "assistant" });
  });

  it("refusal stops the run without verifying or running anything", async () => {
    fx = agentFixture({}, { checks: { test: "true" } });
    const result = await fx.run([
      {
        content: [text("I can't help with that."), toolUse("bash", { command: "touch x" })],
        stop_reason: "refusal",
      },
    ]);
    expect(fx.git("status", "--porcelain")).toBe("");
    expect(result).toMatchObject({ stop: "refusal", verification: null });
    expect(result.message).toBe("The model declined to work on this task.");
    expect(fx.types()).not.toContain("verify.result");
  });

  it("model_context_window_exceeded stops, answers its unfinished call, and verifies the work so far", async () => {
    fx = agentFixture({}, { checks: { test: "true" } });
    const checkpoints: StepCheckpoint[] = [];
    const result = await fx.run(
      [
        bash("echo work > w.txt"),
        {
          content: [text("Now"), toolUse("bash", { command: "rm -rf" }, "toolu_cut_ctx")],
          stop_reason: "model_context_window_exceeded",
        },
      ],
      { onStep: (c) => void checkpoints.push(structuredClone(c)) },
    );
    expect(result.stop).toBe("context_window_exceeded");
    expect(result.message).toMatch(/outgrew the model's context window/);
    expect(result.verification).toMatchObject({ configured: true, passed: true });
    // The transcript stays one the API accepts: the unfinished call is answered, not run.
    expect(checkpoints.at(-1)!.added.at(-1)).toEqual({
      role: "user",
      content: [
        {
          type: "tool_result",
          tool_use_id: "toolu_cut_ctx",
          content: "This tool call was not run: the run stopped.",
          is_error: true,
        },
      ],
    });
  });

  it("a retried call (529) is on the record, and the step goes on", async () => {
    fx = agentFixture({});
    const result = await fx.run([
      {
        status: 529,
        errorType: "overloaded_error",
        message: "Overloaded",
        headers: { "retry-after-ms": "1" },
      },
      reply(text("Back.")),
    ]);
    expect(result).toMatchObject({ stop: "completed", summary: "Back." });
    expect(fx.events.find((e) => e.type === "model.retry")?.data).toMatchObject({
      step: 1,
      attempt: 1,
      status: 529,
      errorType: "overloaded_error",
    });
  });
});

describe("the budgets", () => {
  const forever = (n: number, usage?: ScriptedMessage["usage"]): ScriptedTurn[] =>
    Array.from({ length: n }, () => ({ ...bash("true"), usage }));

  it("stops at the step budget", async () => {
    fx = agentFixture({}, { budget: { steps: 3 } });
    const result = await fx.run(forever(3));
    expect(result).toMatchObject({ stop: "out_of_budget", steps: 3 });
    expect(result.budgetStop?.budget).toBe("steps");
    expect(result.message).toBe(
      "Stamina used its whole step budget (3 steps) before it finished; this is the work so far.",
    );
    expect(fx.events.find((e) => e.type === "budget.exhausted")?.data).toMatchObject({
      budget: "steps",
      limit: 3,
    });
  });

  it("stops at the token budget", async () => {
    fx = agentFixture({}, { budget: { tokens: 10_000 } });
    const result = await fx.run(forever(5, { input_tokens: 4_000, output_tokens: 100 }));
    expect(result).toMatchObject({ stop: "out_of_budget", steps: 3 });
    expect(result.spent.tokens).toBe(12_300);
    expect(result.message).toBe(
      "Stamina used its whole token budget (10,000 tokens) before it finished; this is the work so far.",
    );
  });

  it("stops at the dollar budget, priced from the model's price table", async () => {
    fx = agentFixture({}, { budget: { dollars: 1.5 } });
    // claude-sonnet-5-5 output: $10 per million tokens, so $1 a turn.
    const result = await fx.run(forever(5, { input_tokens: 0, output_tokens: 100_000 }));
    expect(result).toMatchObject({ stop: "out_of_budget", steps: 2 });
    expect(result.spent.dollars).toBeCloseTo(2, 6);
    expect(result.message).toBe(
      "Stamina used its whole dollar budget ($1.50) before it finished; this is the work so far.",
    );
  });

  it("stops at the time budget, on the injected clock", async () => {
    fx = agentFixture({}, { budget: { minutes: 60 } });
    let now = 0;
    const slowTurn: ScriptedTurn = () => {
      now += 25 * 60_000;
      return bash("true");
    };
    const result = await fx.run([slowTurn, slowTurn, slowTurn, slowTurn], { clock: () => now });
    expect(result).toMatchObject({ stop: "out_of_budget", steps: 3 });
    expect(result.spent.elapsedMs).toBe(75 * 60_000);
    expect(result.message).toBe(
      "Stamina used its whole time budget (60 minutes) before it finished; this is the work so far.",
    );
  });
});
