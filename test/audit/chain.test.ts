// The hash chain: how events link and what their hash covers; a 1,000-event round trip.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { appendEvent, hashEvent } from "../../src/audit/chain.ts";
import { GENESIS_HASH } from "../../src/audit/types.ts";
import { parseJsonl, toJsonl, verifyChain } from "../../src/audit/verify.ts";
import { sampleRun } from "./fixture.ts";

const TS = "2026-03-02T09:00:00.000Z";

describe("appendEvent", () => {
  it("starts a chain at seq 1 on the genesis hash", () => {
    const e = appendEvent(undefined, "run-1", { type: "run.claimed", data: { attempt: 1 } }, TS);
    expect(e).toMatchObject({
      run: "run-1",
      seq: 1,
      ts: TS,
      type: "run.claimed",
      prevHash: GENESIS_HASH,
    });
    expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("links each event to the one before", () => {
    const a = appendEvent(undefined, "run-1", { type: "a", data: {} }, TS);
    const b = appendEvent(a, "run-1", { type: "b", data: {} }, TS);
    expect(b.seq).toBe(2);
    expect(b.prevHash).toBe(a.hash);
    expect(b.hash).not.toBe(a.hash);
  });

  it("hashes the canonical JSON of exactly {run, seq, ts, type, data, prevHash}", () => {
    const e = appendEvent(
      undefined,
      "run-1",
      { type: "git.push", data: { sha: "abc", branch: "b" } },
      TS,
    );
    const expected = createHash("sha256")
      .update(
        `{"data":{"branch":"b","sha":"abc"},"prevHash":"${GENESIS_HASH}","run":"run-1","seq":1,"ts":"${TS}","type":"git.push"}`,
      )
      .digest("hex");
    expect(e.hash).toBe(expected);
    expect(hashEvent(e)).toBe(expected);
  });

  it("keeps a copy of the data, so the caller changing its object later cannot break the chain", () => {
    const data: Record<string, unknown> = {
      command: "npm test",
      when: new Date(TS),
      gone: undefined,
    };
    const e = appendEvent(undefined, "run-1", { type: "command", data }, TS);
    data.command = "rm -rf /";
    expect(e.data).toEqual({ command: "npm test", when: TS });
    expect(hashEvent(e)).toBe(e.hash);
  });

  it("refuses to follow an event of another run", () => {
    const a = appendEvent(undefined, "run-1", { type: "a", data: {} }, TS);
    expect(() => appendEvent(a, "run-2", { type: "b", data: {} }, TS)).toThrow(/run-2.*run-1/);
  });
});

describe("a chain of 1,000 events", () => {
  it("survives toJsonl and parseJsonl and verifies", () => {
    const events = sampleRun(1000);
    const text = toJsonl(events);
    expect(text.split("\n")).toHaveLength(1001); // one line each, newline-terminated
    const parsed = parseJsonl(text);
    expect(parsed).toEqual(events);
    expect(verifyChain(parsed)).toEqual({ ok: true, count: 1000, head: events[999]?.hash });
  });
});
