// The audit log cut into the parts of the "Stamina audit log" check runs: each
// field within GitHub's limit, every event present, and the parts' texts put
// back together verifying as the log they came from.
import { describe, expect, it } from "vitest";
import { auditParts, reassembleJsonl, CHECK_OUTPUT_LIMIT } from "../../src/audit/parts.ts";
import { parseJsonl, toJsonl, verifyChain } from "../../src/audit/verify.ts";
import { chain, sampleEntry } from "./fixture.ts";

const within = (text: string) => {
  expect(Buffer.byteLength(text, "utf8")).toBeLessThanOrEqual(CHECK_OUTPUT_LIMIT);
  expect([...text].length).toBeLessThanOrEqual(CHECK_OUTPUT_LIMIT);
};

describe("the audit log as check run parts", () => {
  it("spreads a log of over 500 KB over parts that reassemble into the same, verifying log", () => {
    const entries = Array.from({ length: 3_000 }, (_, i) => sampleEntry(i));
    // Fences, emoji and accents inside the data, and one event larger than a whole part.
    entries.push({ type: "tool.result", data: { output: "```\n🙂 é ``` ".repeat(12_000) } });
    entries.push({ type: "run.finished", data: { state: "succeeded" } });
    const events = chain(entries);
    const jsonl = toJsonl(events);
    expect(jsonl.length).toBeGreaterThan(500_000);

    const parts = auditParts(events);
    expect(parts.length).toBeGreaterThan(8);
    expect(parts.map((p) => p.name).slice(0, 3)).toEqual([
      "Stamina audit log",
      "Stamina audit log (2)",
      "Stamina audit log (3)",
    ]);
    for (const part of parts) {
      within(part.summary);
      within(part.text);
    }
    const back = reassembleJsonl(parts.map((p) => p.text));
    expect(back).toBe(jsonl);
    const parsed = parseJsonl(back);
    expect(parsed.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    expect(verifyChain(parsed)).toMatchObject({ ok: true, head: events.at(-1)!.hash });
    expect(parts[0]!.summary).toContain(events.at(-1)!.hash);
  });

  it("keeps a small log in one part, and a cut in any part shows when verified", () => {
    const events = chain(Array.from({ length: 40 }, (_, i) => sampleEntry(i)));
    const parts = auditParts(events, 4_000);
    expect(parts.length).toBeGreaterThan(1);
    expect(auditParts(events)).toHaveLength(1);
    const texts = parts.map((p) => p.text);
    texts.splice(1, 1);
    const result = verifyChain(parseJsonl(reassembleJsonl(texts)));
    expect(result.ok).toBe(false);
  });
});
