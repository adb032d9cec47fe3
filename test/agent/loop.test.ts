// The agent loop through the real Anthropic SDK against the scripted model
// server, with the real tools on a git worktree: the tools it runs, the step
// checkpoints and resuming from them, and the seams for context management and
// the watchdog. How a step and a run end is in loop-stops.test.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { MessageParam } from "@anthropic-ai/sdk/resources/messages";
import type { StepHook } from "../../src/agent/hooks.ts";
import type { StepCheckpoint } from "../../src/agent/ports.ts";
import { reply, text, toolUse } from "../support/model-server/index.ts";
import { agentFixture, bash, lastMessageOf, toolResultsOf, type AgentFixture } from "./fixture.ts";

let fx: AgentFixture;

afterEach(async () => {
  await fx.close();
});

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
