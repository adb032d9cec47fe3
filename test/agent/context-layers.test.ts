// The context manager's pure layers on a small transcript: clearing in batches that never
// touches the plan or the pairing, where a kept tail may start, breakpoints placed on copies,
// and the capabilities read from a provider's model id.
import type Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { withBreakpoints } from "../../src/agent/context/cache-breakpoints.ts";
import { capabilitiesOf } from "../../src/agent/context/capabilities.ts";
import { CLEARED_NOTE, clearResults, nextCleared } from "../../src/agent/context/clearing.ts";
import { tailStart, toolNames } from "../../src/agent/context/transcript.ts";

type Message = Anthropic.MessageParam;

function turn(id: string, name: string, output: string): Message[] {
  return [
    { role: "assistant", content: [{ type: "tool_use", id, name, input: {} }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: output }] },
  ];
}

const transcript: Message[] = [
  { role: "user", content: "the task" },
  ...turn("t0", "update_plan", "plan saved"),
  ...turn("t1", "bash", "one"),
  ...turn("t2", "bash", "two"),
  ...turn("t3", "bash", "three"),
];

describe("clearing in batches", () => {
  it("moves only when a whole batch beyond the kept results is due", () => {
    expect(nextCleared(10, 0, 6, 8)).toBe(0);
    expect(nextCleared(14, 0, 6, 8)).toBe(0);
    expect(nextCleared(15, 0, 6, 8)).toBe(9);
    expect(nextCleared(20, 9, 6, 8)).toBe(9);
    expect(nextCleared(24, 9, 6, 8)).toBe(18);
  });

  it("clears old outputs on copies, keeps every call and the plan's result", () => {
    const before = JSON.stringify(transcript);
    const cleared = clearResults(transcript, 0, 3, toolNames(transcript));
    expect(JSON.stringify(transcript)).toBe(before);
    const outputs = cleared.flatMap((m) =>
      typeof m.content === "string"
        ? []
        : m.content.flatMap((b) => (b.type === "tool_result" ? [b.content] : [])),
    );
    expect(outputs).toEqual(["plan saved", CLEARED_NOTE, CLEARED_NOTE, "three"]);
    expect(JSON.stringify(cleared).match(/tool_use"/g)).toHaveLength(4);
  });
});

describe("where a kept tail starts", () => {
  it("at an assistant message, keeping the last K turns whole, and only when something is dropped", () => {
    expect(tailStart(transcript, 0, 2)).toBe(5);
    expect(transcript[5]!.role).toBe("assistant");
    expect(tailStart(transcript, 0, 4)).toBeUndefined();
    expect(tailStart(transcript, 5, 1)).toBe(7);
  });
});

describe("cache breakpoints", () => {
  it("mark the stable messages and the tail, on copies, three at most", () => {
    const at = (marked: Message[]) =>
      marked.flatMap((m, i) => (JSON.stringify(m).includes("cache_control") ? [i] : []));
    const marked = withBreakpoints(transcript, [0, 4]);
    expect(JSON.stringify(transcript)).not.toContain("cache_control");
    expect(at(marked)).toEqual([0, 4, 8]);
    // The same frontier twice is one breakpoint; past the tail or repeated, none.
    expect(at(withBreakpoints(transcript, [4, 4, 8, 12]))).toEqual([4, 8]);
    // Three at most besides the system prompt's: the latest ones.
    expect(at(withBreakpoints(transcript, [0, 2, 4, 6]))).toEqual([4, 6, 8]);
  });
});

describe("capabilities", () => {
  it("follow the family in any provider's id, and default to the client-side layers", () => {
    expect(capabilitiesOf("global.anthropic.claude-sonnet-5-5")).toMatchObject({
      clearToolUses: true,
      compaction: true,
    });
    expect(capabilitiesOf("claude-haiku-4-5@20251001")).toMatchObject({
      clearToolUses: true,
      compaction: false,
    });
    expect(capabilitiesOf("some-other-model")).toMatchObject({
      clearToolUses: false,
      compaction: false,
    });
  });
});
