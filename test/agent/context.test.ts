// The context manager through the real SDK against the scripted model server, which refuses
// what the API refuses (unpaired tool calls, a fifth cache breakpoint, edits without their beta
// or on a model without them, a prompt longer than the window) and bills the prompt cache by
// prefix: long sessions stay bounded, every request keeps the issue, the plan and the pairing,
// server-side edits and compaction have the API's shape, an overflow falls back without a model
// call, and a resumed run reads its progress file first.
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { StepHook } from "../../src/agent/hooks.ts";
import type { StepCheckpoint } from "../../src/agent/ports.ts";
import { CLEARED_NOTE } from "../../src/agent/context/clearing.ts";
import { reply, toolUse, type RecordedModelRequest } from "../support/model-server/index.ts";
import { promptBlocks, totalTokens } from "../support/model-server/prompt-cache.ts";
import { agentFixture, type AgentFixture } from "./fixture.ts";
import { isSummaryRequest, longSession, PLAN_STEP, readableFiles } from "./context-session.ts";

let fx: AgentFixture;

afterEach(async () => {
  await fx.close();
});

const TASK = "Do the task.";
const bytesOf = (r: RecordedModelRequest) => JSON.stringify(r.sent).length;
const accepted = (fx: AgentFixture) => fx.server().requests.filter((r) => r.status === 200);

describe("a long session through the context manager", () => {
  it("300 tool calls on the client-side layers alone: completes, bounded, cached, and every request keeps the issue, the plan and the pairing", async () => {
    fx = agentFixture(readableFiles(40, 2_000), {
      model: "claude-haiku-4-5",
      budget: { steps: 400, tokens: 100_000_000, dollars: 1_000 },
    });
    const result = await fx.run(longSession({ calls: 300, files: 40 }), {
      context: { compactAt: 15_000, serverSide: false },
      progressFile: join(fx.dir, "progress.md"),
    });

    expect(result.stop).toBe("completed");
    const requests = fx.server().requests;
    // The server refused nothing: every tool_use had its tool_result, never five breakpoints.
    expect(requests.every((r) => r.status === 200)).toBe(true);
    const turns = requests.filter((r) => !isSummaryRequest(r));
    expect(turns.length).toBe(result.steps);
    // Bounded: no request past the threshold and one step's growth, while the transcript grew
    // to far more than that.
    const largest = Math.max(...requests.map(bytesOf));
    expect(largest).toBeLessThan(15_000 * 4 + 20_000);
    // Compacted by a summary the model wrote, then cleared in batches in between.
    const compactions = fx.events.filter((e) => e.type === "context.compacted");
    expect(compactions.length).toBeGreaterThan(1);
    expect(compactions.every((e) => e.data.kind === "summary")).toBe(true);
    // Every request carries the issue, and after the first compaction the plan in words.
    const firstCompacted = turns.findIndex((r) =>
      JSON.stringify(r.body.messages[0]).includes("summary_of_earlier_work"),
    );
    expect(firstCompacted).toBeGreaterThan(0);
    for (const r of turns) expect(JSON.stringify(r.body.messages[0])).toContain(TASK);
    for (const r of turns.slice(firstCompacted)) {
      expect(JSON.stringify(r.body.messages[0])).toContain(`[~] ${PLAN_STEP}`);
    }
    // The cache paid: most of the prompt tokens were read from it.
    const read = result.usage.cacheReadTokens;
    expect(read).toBeGreaterThan(result.usage.inputTokens + result.usage.cacheWriteTokens);
    // Health every step, with sizes, tokens, tool errors, compactions and clearings.
    const health = fx.events.filter((e) => e.type === "context.health");
    expect(health).toHaveLength(result.steps);
    expect(health.at(-1)!.data).toMatchObject({
      tools: { errors: 0 },
      compactions: compactions.length,
    });
    expect((health.at(-1)!.data.sent as { unit: string }).unit).toContain("bytes");
    expect(health.at(-1)!.data.clearings).toBeGreaterThan(0);
    // The progress file was kept, and says where the run stood.
    expect(readFileSync(join(fx.dir, "progress.md"), "utf8")).toContain(PLAN_STEP);
  }, 120_000);

  it("a simulated eight-hour run (injected clock, model latency injected) completes", async () => {
    let now = 0;
    fx = agentFixture(readableFiles(20, 1_000), {
      budget: { steps: 400, tokens: 100_000_000, dollars: 1_000, minutes: 9 * 60 },
    });
    const result = await fx.run(
      // Each answer takes the model 100 s of the injected clock: 300 calls are over 8 hours.
      longSession({ calls: 300, files: 20, onTurn: () => void (now += 100_000) }),
      { context: {}, clock: () => now },
    );
    expect(result.stop).toBe("completed");
    expect(result.spent.elapsedMs).toBeGreaterThan(8 * 3_600_000);
    expect(fx.server().requests.every((r) => r.status === 200)).toBe(true);
    // The defaults keep it bounded too: what the server read never passed its clearing trigger
    // by more than a few steps, and the bytes sent stayed under the compaction threshold.
    const read = fx
      .server()
      .requests.map(
        (r) =>
          r.usage!.input_tokens +
          r.usage!.cache_read_input_tokens +
          r.usage!.cache_creation_input_tokens,
      );
    expect(Math.max(...read)).toBeLessThan(20_000 + 5_000);
    expect(Math.max(...fx.server().requests.map(bytesOf))).toBeLessThan(80_000 * 4 + 20_000);
  }, 120_000);
});

describe("the prompt cache across our clearing", () => {
  it("a clearing reads everything up to where the last one ended from the cache, and writes the rest once", async () => {
    fx = agentFixture(readableFiles(20, 1_600), {
      budget: { steps: 100, tokens: 100_000_000, dollars: 1_000 },
    });
    // No compaction: only the clearing moves the prompt.
    const result = await fx.run(longSession({ calls: 60, files: 20 }), {
      context: { serverSide: false, compactAt: 1_000_000, keepToolResults: 6, clearBatch: 8 },
    });
    expect(result.stop).toBe("completed");
    const requests = accepted(fx);
    const isCleared = (key: string) => key.includes('"tool_result"') && key.includes(CLEARED_NOTE);
    const cleared = (r: RecordedModelRequest) =>
      promptBlocks({ ...r.body, messages: r.read!.messages }).filter((b) => isCleared(b.key))
        .length;
    let clearings = 0;
    for (const [i, r] of requests.entries()) {
      const before = i > 0 ? cleared(requests[i - 1]!) : 0;
      if (cleared(r) <= before) continue;
      clearings += 1;
      // The prompt up to the last result the previous clearing cleared (the header when none),
      // unchanged by this one, came from the cache.
      const blocks = promptBlocks({ ...r.body, messages: r.read!.messages });
      let seen = 0;
      let end = blocks.findIndex((b) => b.key.startsWith("user:")) + 1;
      for (const [at, block] of blocks.entries()) {
        if (!isCleared(block.key)) continue;
        if (++seen > before) break;
        end = at + 1;
      }
      expect(r.usage!.cache_read_input_tokens).toBeGreaterThanOrEqual(
        totalTokens(blocks.slice(0, end)),
      );
      // What it wrote: the batch just cleared, the kept results and the new step, not the prefix.
      expect(r.usage!.cache_creation_input_tokens).toBeLessThan(totalTokens(blocks.slice(end)) + 1);
    }
    expect(clearings).toBeGreaterThan(3);
  }, 60_000);
});

describe("server-side context management", () => {
  it("asks for clearing and compaction under their betas, sends back the compaction block and nothing before it", async () => {
    fx = agentFixture(readableFiles(30, 8_000), {
      budget: { steps: 100, tokens: 100_000_000, dollars: 1_000 },
    });
    const result = await fx.run(longSession({ calls: 40, files: 30 }), {
      // Clearing out of the way, so the prompt reaches the compaction trigger.
      context: { serverSide: true, serverClearAt: 500_000, serverCompactAt: 50_000 },
    });
    expect(result.stop).toBe("completed");
    const requests = accepted(fx);
    const first = requests[0]!;
    expect(first.headers["anthropic-beta"]).toBe(
      "context-management-2025-06-27,compact-2026-01-12",
    );
    expect(first.sent.context_management).toMatchObject({
      edits: [
        {
          type: "clear_tool_uses_20250919",
          trigger: { type: "input_tokens", value: 500_000 },
          keep: { type: "tool_uses", value: 6 },
          exclude_tools: ["update_plan"],
        },
        { type: "compact_20260112", trigger: { type: "input_tokens", value: 50_000 } },
      ],
    });
    // Breakpoints on the system prompt (the task its last block), none on the tools.
    expect(JSON.stringify(first.sent.tools)).not.toContain("cache_control");
    expect(first.sent.system).toMatchObject([{}, { cache_control: { type: "ephemeral" } }]);
    const compacted = requests.findIndex((r) => r.compacted === true);
    expect(compacted).toBeGreaterThan(0);
    const after = requests[compacted + 1]!;
    // The header first, then the answer that opens with the compaction block, then what followed.
    expect(after.body.messages[0]!.role).toBe("user");
    expect(JSON.stringify(after.body.messages[0])).toContain("<progress_file>");
    expect((after.body.messages[1]!.content as Array<{ type: string }>)[0]!.type).toBe(
      "compaction",
    );
    expect(bytesOf(after)).toBeLessThan(bytesOf(requests[compacted]!) / 2);
    // From there on every request carries the issue (in the system prompt) and the plan (in the
    // progress file).
    for (const r of requests.slice(compacted + 1)) {
      expect(JSON.stringify(r.sent.system)).toContain(TASK);
      expect(JSON.stringify(r.body.messages[0])).toContain(`[~] ${PLAN_STEP}`);
    }
    expect(fx.events.filter((e) => e.type === "context.health").at(-1)!.data.compactions).toBe(1);
  }, 60_000);

  it("clearing on the server is reported back and counted in the health events", async () => {
    fx = agentFixture(readableFiles(30, 8_000), {
      budget: { steps: 100, tokens: 100_000_000, dollars: 1_000 },
    });
    await fx.run(longSession({ calls: 30, files: 30 }), {
      context: { serverSide: true, serverClearAt: 10_000 },
    });
    const cleared = accepted(fx).filter((r) => (r.appliedEdits ?? []).length > 0);
    expect(cleared.length).toBeGreaterThan(0);
    const health = fx.events.filter((e) => e.type === "context.health").at(-1)!.data;
    expect(health.clearings).toBe(cleared.length);
    expect((health.context as { serverClearedTokens: number }).serverClearedTokens).toBeGreaterThan(
      0,
    );
  }, 60_000);

  it("a model that clears on the server but does not compact there is sent only the clearing", async () => {
    fx = agentFixture(readableFiles(3, 500), { model: "claude-haiku-4-5" });
    await fx.run(longSession({ calls: 4, files: 3 }), { context: { serverSide: true } });
    const [first] = accepted(fx);
    // Haiku 4.5 clears on the server but does not compact there: no compaction beta, no edit.
    expect(first!.headers["anthropic-beta"]).toBe("context-management-2025-06-27");
    expect(JSON.stringify(first!.sent.context_management)).not.toContain("compact_20260112");
  });
});

describe("when the context overflows", () => {
  it("model_context_window_exceeded: compacts deterministically, without a model call, and goes on", async () => {
    fx = agentFixture(readableFiles(10, 4_000), { model: "claude-haiku-4-5" });
    const script = longSession({
      calls: 20,
      files: 10,
      override: (n) =>
        n === 12
          ? {
              content: [{ type: "text", text: "Reading" }],
              stop_reason: "model_context_window_exceeded",
            }
          : undefined,
    });
    const result = await fx.run(script, { context: { compactAt: 1_000_000 } });
    expect(result.stop).toBe("completed");
    const requests = fx.server().requests;
    expect(requests.some(isSummaryRequest)).toBe(false);
    const compacted = fx.events.filter((e) => e.type === "context.compacted");
    expect(compacted.map((e) => e.data.kind)).toEqual(["deterministic"]);
    expect(fx.types()).toContain("context.overflow");
    // The next request starts from a summary built from the run's own state, then the tail.
    const after = requests[13]!;
    const header = JSON.stringify(after.body.messages[0]);
    expect(header).toContain(TASK);
    expect(header).toContain("## Goal");
    expect(header).toContain("## Files touched");
    expect(header).toContain("notes.txt");
    expect(header).toContain(PLAN_STEP);
    expect(after.status).toBe(200);
  });

  it("a 400 saying the prompt is too long: the same step is asked again, smaller", async () => {
    fx = agentFixture(readableFiles(10, 4_000), {
      model: "claude-haiku-4-5",
      server: { contextWindow: 12_000 },
    });
    const result = await fx.run(longSession({ calls: 30, files: 10 }), {
      context: { compactAt: 1_000_000, clearBatch: 100 },
    });
    expect(result.stop).toBe("completed");
    const refused = fx.server().requests.filter((r) => r.status === 400);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.refusal).toMatch(/prompt is too long/);
    expect(fx.events.filter((e) => e.type === "context.compacted").length).toBe(refused.length);
  });
});

describe("the progress file", () => {
  it("is read first by a resumed run", async () => {
    fx = agentFixture(readableFiles(5, 500));
    const progressFile = join(fx.dir, "progress.md");
    const checkpoints: StepCheckpoint[] = [];
    await fx.run(longSession({ calls: 4, files: 5 }).slice(0, 3), {
      context: {},
      progressFile,
      budget: { steps: 3, tokens: 1_000_000, dollars: 100, minutes: 60 },
      onStep: (c) => void checkpoints.push(structuredClone(c)),
    });
    // Written at the milestone (the plan), with what the run is for.
    const written = readFileSync(progressFile, "utf8");
    expect(written).toContain(PLAN_STEP);
    expect(written).toContain(TASK);
    appendFileSync(progressFile, "A note only the file has.\n");

    const last = checkpoints.at(-1)!;
    await fx.run(longSession({ calls: 2, files: 5 }), {
      context: {},
      progressFile,
      resume: {
        step: last.step,
        messages: checkpoints.flatMap((c) => c.added),
        state: last.state,
      },
    });
    const firstResumed = JSON.stringify(fx.server().requests[0]!.body.messages[0]);
    expect(firstResumed).toContain("<progress_file>");
    expect(firstResumed).toContain("A note only the file has.");
    expect(firstResumed).toContain(TASK);
  });
});

describe("health every step", () => {
  it("records the size sent, the tokens, the tool errors, and the signals other hooks publish", async () => {
    fx = agentFixture(readableFiles(3, 500));
    const watchdog: StepHook = {
      name: "watchdog",
      afterStep: (context) =>
        Promise.resolve({ state: { health: { repeatedCalls: context.step } } }),
    };
    const result = await fx.run(
      longSession({
        calls: 4,
        files: 3,
        override: (n) =>
          n === 2 ? reply(toolUse("str_replace_based_edit_tool", { command: "view" })) : undefined,
      }),
      { context: {}, hooks: [watchdog] },
    );
    const health = fx.events.filter((e) => e.type === "context.health");
    expect(health).toHaveLength(result.steps);
    const third = health[2]!.data;
    expect(third).toMatchObject({
      step: 3,
      tools: { calls: 1, errors: 1 },
      signals: { watchdog: { repeatedCalls: 3 } },
    });
    const sent = third.sent as { bytes: number; estimatedTokens: number };
    expect(sent.estimatedTokens).toBe(Math.ceil(sent.bytes / 4));
    const tokens = third.tokens as Record<string, number>;
    const request = fx.server().requests[2]!.usage!;
    expect(tokens).toMatchObject({
      input: request.input_tokens,
      cacheRead: request.cache_read_input_tokens,
      cacheWrite: request.cache_creation_input_tokens,
    });
    expect(tokens.output).toBeGreaterThan(0);
    expect(tokens.cacheRead).toBeGreaterThan(0);
  });
});
