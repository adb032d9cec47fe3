// A run's budgets count what a server-side compaction is billed. The API compacts the prompt in
// an iteration of its own that reads the whole prompt; the response's top-level usage leaves it
// out. A session long enough to be compacted must count, in its usage and its dollars, every
// token the scripted server billed: each answer and each compaction iteration.
import { afterEach, describe, expect, it } from "vitest";
import { contextSettingsOf } from "../../src/agent/config-settings.ts";
import { costOf, priceOf } from "../../src/model/prices.ts";
import { DEFAULT_CONTEXT_CONFIG } from "../../src/policy/config.ts";
import { longSession, readableFiles } from "./context-session.ts";
import { agentFixture, type AgentFixture } from "./fixture.ts";

let fx: AgentFixture | undefined;

afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe("a server-side compaction, in the run's budgets", () => {
  it("counts the compaction iteration's tokens and dollars with the answers'", async () => {
    fx = agentFixture(readableFiles(20, 1_600), { budget: { steps: 200 } });
    // Server-side, where clearing never starts and compaction does at the API's minimum, so the
    // prompt reaches it.
    const context = {
      ...contextSettingsOf(DEFAULT_CONTEXT_CONFIG),
      serverSide: true,
      serverClearAt: 1_000_000,
      serverCompactAt: 50_000,
    };
    const result = await fx.run(longSession({ calls: 140, files: 20 }), { context });
    expect(result.stop).toBe("completed");
    const answered = fx.server().requests.filter((r) => r.status === 200);
    const compacted = answered.filter((r) => r.compacted === true);
    expect(compacted.length).toBeGreaterThanOrEqual(1);
    const price = priceOf("claude-sonnet-5-5")!;
    let input = 0;
    let output = 0;
    let dollars = 0;
    for (const r of answered) {
      const iterations = r.iterations ?? [
        { ...r.usage!, output_tokens: r.outputTokens!, type: "message" as const },
      ];
      for (const i of iterations) {
        input += i.input_tokens;
        output += i.output_tokens;
        dollars += costOf(price, { ...i, cache_creation: null } as never);
      }
    }
    const compaction = compacted[0]!.iterations![0]!;
    expect(compaction.type).toBe("compaction");
    expect(compaction.input_tokens).toBeGreaterThan(50_000);
    expect(result.usage.inputTokens).toBe(input);
    expect(result.usage.outputTokens).toBe(output);
    expect(result.spent.dollars).toBeCloseTo(dollars, 9);
  });
});
