// The agent loop through the real Anthropic SDK against the scripted model
// server, with the real tools on a git worktree: every stop reason, every
// budget, the step checkpoints and resuming from them, and the seams for
// context management and the watchdog.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { MessageParam } from "@anthropic-ai/sdk/resources/messages";
import type { StepHook } from "../../src/agent/hooks.ts";
import type { StepCheckpoint } from "../../src/agent/ports.ts";
import {
  reply,
  text,
  toolUse,
  type ScriptedMessage,
  type ScriptedTurn,
} from "../support/model-server/index.ts";
import { agentFixture, lastMessageOf, toolResultsOf, type AgentFixture } from "./fixture.ts";

let fx: AgentFixture;

afterEach(async () => {
  await fx.close();
});

const bash = (command: string, id?: string) => reply(toolUse("bash", { command }, id));

describe("the agent loop", () => {
  it("runs the tools the model calls, reviews the change, and stops with the last summary", async () => {
    fx = agentFixture({ "README.md": "hello\n" });
    const result = await fx.run([
      reply(
        toolUse("str_replace_based_edit_tool", {
          command: "create",
          path: "hello.txt",
          file_text: "hi\n",
        }),
      ),
      bash("cat hello.txt && echo done"),
      reply(text("Created hello.txt.")),
      reply(text("Created hello.txt, which says hi.")),
    ]);
    expect(result).toMatchObject({
      stop: "completed",
      steps: 4,
      summary: "Created hello.txt, which says hi.",
      phase: "done",
    });
    expect(readFileSync(join(fx.worktree, "hello.txt"), "utf8")).toBe("hi\n");
    expect(lastMessageOf(fx.server(), 2)).toContain("hi\\ndone");
    // No checks are configured: the review says so and shows the whole change.
    const review = lastMessageOf(fx.server(), 3);
    expect(review).toContain("could not check your work");
    expect(review).toContain("+++ b/hello.txt");
    expect(result.verification).toMatchObject({ configured: false, passed: false });
    expect(fx.types().filter((t) => t.startsWith("model."))).toHaveLength(8);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.spent.dollars).toBeGreaterThan(0);
  });

  it("answers bad tool input and unknown tools with errors the model can act on", async () => {
    fx = agentFixture({});
    await fx.run([
      reply(toolUse("bash", { command: 42 }), toolUse("no_such_tool", {})),
      reply(text("ok")),
    ]);
    const results = toolResultsOf(fx.server(), 1);
    expect(results.map((r) => r.is_error)).toEqual([true, true]);
    expect(results[0]!.content).toMatch(/Invalid input for bash: .*command/s);
    expect(results[1]!.content).toContain("no tool named no_such_tool");
  });
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

describe("step checkpoints", () => {
  it("hands each step's messages to onStep, and a resumed loop sends the same transcript", async () => {
    fx = agentFixture({});
    const script = () => [
      bash("echo one", "toolu_resume_1"),
      bash("echo two", "toolu_resume_2"),
      reply(text("Both done.")),
    ];
    let now = 0;
    const clock = () => (now += 1_000);
    const whole = await fx.run(script(), { clock });
    const uninterrupted = fx.server().requests.map((r) => r.body.messages);

    // The same session, stopped after its first step: a crash right after the checkpoint.
    const checkpoints: StepCheckpoint[] = [];
    const controller = new AbortController();
    const first = await fx.run(script(), {
      signal: controller.signal,
      onStep: (c) => {
        checkpoints.push(structuredClone(c));
        controller.abort();
      },
    });
    expect(first).toMatchObject({ stop: "aborted", steps: 1 });
    expect(checkpoints).toHaveLength(1);
    expect(checkpoints[0]).toMatchObject({ step: 1, touched: true });
    // The task, the model's tool call and its result: everything step 1 appended.
    expect(checkpoints[0]!.added.map((m) => m.role)).toEqual(["user", "assistant", "user"]);

    // Resumed elsewhere, much later: the downtime is not spent.
    now = 1e12;
    const resumed = await fx.run(script().slice(1), {
      clock,
      resume: {
        step: 1,
        messages: checkpoints.flatMap((c) => c.added),
        state: JSON.parse(JSON.stringify(checkpoints[0]!.state)) as Record<string, unknown>,
      },
      onStep: (c) => {
        checkpoints.push(structuredClone(c));
      },
    });
    expect(resumed).toMatchObject({ stop: "completed", steps: 3, summary: "Both done." });
    expect(resumed.spent.elapsedMs).toBeLessThan(60_000);
    expect(checkpoints.map((c) => c.step)).toEqual([1, 2, 3]);
    // The shell is a new one after the resume, and the model is told so, once; otherwise
    // the model is sent exactly what an uninterrupted run sends.
    const note = JSON.stringify(
      "\n[This is a new shell: the run was resumed, so a working directory or variables set before are gone.]",
    ).slice(1, -1);
    const withoutNote = (value: unknown): unknown =>
      JSON.parse(JSON.stringify(value).split(note).join("")) as unknown;
    const sent = fx.server().requests.map((r) => r.body.messages);
    expect(JSON.stringify(sent.at(-1)).split(note)).toHaveLength(2);
    expect(withoutNote(sent)).toEqual(uninterrupted.slice(1));
    // Appended once each: the checkpoints together are the whole transcript.
    const transcript = withoutNote(checkpoints.flatMap((c) => c.added)) as unknown[];
    expect(transcript.slice(0, -1)).toEqual(uninterrupted.at(-1));
    expect(transcript.at(-1)).toMatchObject({ role: "assistant" });
    expect(resumed.usage.outputTokens).toBe(whole.usage.outputTokens);
  });

  it("resumes in the phase it stopped in, with its plan", async () => {
    fx = agentFixture({});
    const checkpoints: StepCheckpoint[] = [];
    const controller = new AbortController();
    await fx.run(
      [reply(toolUse("update_plan", { plan: [{ step: "Look around", status: "in_progress" }] }))],
      {
        signal: controller.signal,
        onStep: (c) => {
          checkpoints.push(structuredClone(c));
          controller.abort();
        },
      },
    );
    expect(checkpoints[0]!.state).toMatchObject({
      phase: "implement",
      plan: [{ step: "Look around", status: "in_progress" }],
    });
    // An update_plan only reads: the worktree did not change.
    expect(checkpoints[0]!.touched).toBe(false);
    const resumed = await fx.run([reply(text("Nothing to change."))], {
      resume: { step: 1, messages: checkpoints[0]!.added, state: checkpoints[0]!.state },
    });
    expect(resumed).toMatchObject({
      stop: "completed",
      plan: [{ step: "Look around", status: "in_progress" }],
    });
    expect(fx.types()).toContain("agent.phase");
  });
});

describe("the seams for context management and the watchdog", () => {
  it("sends the model the request view, while the transcript stays whole", async () => {
    fx = agentFixture({});
    const added: StepCheckpoint["added"] = [];
    await fx.run([bash("echo secret-$((6 * 7))"), bash("true"), reply(text("ok"))], {
      // A context manager that clears old tool output (keeping the pairing intact).
      view: (transcript) =>
        transcript.map((m, i): MessageParam => {
          if (i === transcript.length - 1 || m.role !== "user" || !Array.isArray(m.content)) {
            return m;
          }
          const content = m.content.map((b) =>
            b.type === "tool_result" ? { ...b, content: "[cleared]" } : b,
          );
          return { ...m, content };
        }),
      onStep: (c) => void added.push(...c.added),
    });
    expect(JSON.stringify(fx.server().requests[2]!.body.messages)).not.toContain("secret-42");
    expect(JSON.stringify(fx.server().requests[2]!.body.messages)).toContain("[cleared]");
    expect(JSON.stringify(added)).toContain("secret-42");
  });

  it("runs the step hooks, keeps their state and adds their notes to the next turn", async () => {
    fx = agentFixture({});
    const seen: unknown[] = [];
    const watchdog: StepHook = {
      name: "counter",
      afterStep: (context, state) => {
        seen.push(state);
        const count = typeof state === "number" ? state + 1 : 1;
        return Promise.resolve({
          state: count,
          note: context.step === 1 ? "You ran a command; keep going." : undefined,
        });
      },
    };
    const failing: StepHook = {
      name: "broken",
      afterStep: () => Promise.reject(new Error("hook bug")),
    };
    const checkpoints: StepCheckpoint[] = [];
    const result = await fx.run([bash("true"), reply(text("ok"))], {
      hooks: [watchdog, failing],
      onStep: (c) => void checkpoints.push(structuredClone(c)),
    });
    expect(result.stop).toBe("completed");
    expect(seen).toEqual([undefined, 1]);
    expect(checkpoints.map((c) => c.state.hooks.counter)).toEqual([1, 2]);
    expect(lastMessageOf(fx.server(), 1)).toContain("You ran a command; keep going.");
    expect(fx.types()).toContain("hook.failed");
  });
});
