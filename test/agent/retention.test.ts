// The tokens benchmark's retention figure judges the prompt the model read: a turn counts only if
// the issue, the instructions, the current plan and the last 6 tool results are all there whole.
// A manager that keeps 6 results keeps every turn whole, through the server's clearing or our own
// clearing and compaction; one that keeps 3 does not, once the server has cleared the older ones.
import { afterEach, describe, expect, it } from "vitest";
import { contextSettingsOf } from "../../src/agent/config-settings.ts";
import { CLEARED_NOTE } from "../../src/agent/context/clearing.ts";
import { DEFAULT_CONTEXT_CONFIG } from "../../src/policy/config.ts";
import {
  isSummaryRequest,
  longSession,
  readableFiles,
  SESSION_INSTRUCTIONS,
  SESSION_ISSUE,
} from "./context-session.ts";
import { agentFixture, type AgentFixture } from "./fixture.ts";
import type { RecordedModelRequest } from "../support/model-server/index.ts";
import { carriesWhole, Retention } from "./retention.ts";

let fx: AgentFixture | undefined;

afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

/** Each turn's verdict, in order: the server clears, unless `ours` (our clearing and compaction). */
async function verdicts(keepToolResults: number, ours = false): Promise<boolean[]> {
  fx = agentFixture(readableFiles(10, 1_600), {
    task: SESSION_ISSUE,
    instructions: SESSION_INSTRUCTIONS,
  });
  const context = {
    ...contextSettingsOf(DEFAULT_CONTEXT_CONFIG),
    ...(ours
      ? { serverSide: false, compactAt: 10_000 }
      : { serverSide: true, serverClearAt: 5_000 }),
    keepToolResults,
  };
  const result = await fx.run(longSession({ calls: 30, files: 10, planEvery: 10 }), { context });
  expect(result.stop).toBe("completed");
  const retention = new Retention();
  const texts = { issue: SESSION_ISSUE, instructions: SESSION_INSTRUCTIONS };
  const out: boolean[] = [];
  for (const request of fx.server().requests) {
    if (request.status !== 200) continue;
    retention.saw(request.body.messages);
    if (!isSummaryRequest(request)) out.push(carriesWhole(request, retention.expected(), texts));
  }
  return out;
}

describe("retention", () => {
  it("holds on every turn when the last 6 results are kept", async () => {
    const turns = await verdicts(6);
    expect(turns.length).toBeGreaterThan(30);
    expect(turns.every(Boolean)).toBe(true);
  });

  it("holds on every turn through our own clearing and compaction, the last 6 results kept", async () => {
    const turns = await verdicts(6, true);
    const requests = fx!.server().requests;
    // Both ran: a summary was asked for, and older results were cleared in the view.
    expect(requests.some(isSummaryRequest)).toBe(true);
    const clearedResult = (b: { type: string; content?: unknown }) =>
      b.type === "tool_result" && b.content === CLEARED_NOTE;
    const blocks = (r: RecordedModelRequest) =>
      (r.read?.messages ?? []).flatMap((m) => (typeof m.content === "string" ? [] : m.content));
    expect(requests.some((r) => blocks(r).some(clearedResult))).toBe(true);
    expect(turns.length).toBeGreaterThan(30);
    expect(turns.every(Boolean)).toBe(true);
  });

  it("fails the turns whose older results the server cleared, when only 3 are kept", async () => {
    const turns = await verdicts(3);
    // Whole until clearing starts, then short of results.
    expect(turns[0]).toBe(true);
    expect(turns.filter((t) => !t).length).toBeGreaterThan(turns.length / 2);
  });
});
