// verifyChain: each way a log can be tampered with fails, in words, at the right seq.
import { describe, expect, it } from "vitest";
import { hashEvent } from "../../src/audit/chain.ts";
import type { AuditEvent } from "../../src/audit/types.ts";
import { parseJsonl, toJsonl, verifyChain } from "../../src/audit/verify.ts";
import { sampleRun } from "./fixture.ts";

const events = sampleRun(20);
const at = (seq: number): AuditEvent => {
  const e = events[seq - 1];
  if (!e) throw new Error(`no event ${seq}`);
  return e;
};
const head = at(20).hash;

describe("verifyChain", () => {
  it("accepts an intact log and reports its head", () => {
    expect(verifyChain(events)).toEqual({ ok: true, count: 20, head });
  });

  it("fails on an edited event, naming its seq", () => {
    const edited = events.map((e) =>
      e.seq === 7 ? { ...e, data: { ...e.data, command: "curl evil" } } : e,
    );
    expect(verifyChain(edited)).toEqual({
      ok: false,
      seq: 7,
      reason: "event 7: hash does not match its content (edited?)",
    });
  });

  it("fails on an edited timestamp or type, which the hash covers too", () => {
    const ts = events.map((e) => (e.seq === 3 ? { ...e, ts: "2020-01-01T00:00:00.000Z" } : e));
    const type = events.map((e) => (e.seq === 4 ? { ...e, type: "tool.call" } : e));
    expect(verifyChain(ts)).toMatchObject({ ok: false, seq: 3 });
    expect(verifyChain(type)).toMatchObject({ ok: false, seq: 4 });
  });

  it("fails on an edited event whose hash was recomputed: the next event no longer links to it", () => {
    const edited = events.map((e) => {
      if (e.seq !== 7) return e;
      const changed = { ...e, data: { ...e.data, output: "all good" } };
      return { ...changed, hash: hashEvent(changed) };
    });
    const result = verifyChain(edited);
    expect(result).toMatchObject({ ok: false, seq: 8 });
    expect(!result.ok && result.reason).toMatch(
      /event 8: prevHash does not match the hash of event 7/,
    );
  });

  it("fails on two events swapped", () => {
    const swapped = [...events];
    [swapped[4], swapped[5]] = [at(6), at(5)];
    const result = verifyChain(swapped);
    expect(result).toMatchObject({ ok: false, seq: 5 });
    expect(!result.ok && result.reason).toBe("event 6 comes before event 5 (reordered?)");
  });

  it("fails on swapped events even when their seq numbers were swapped back", () => {
    const swapped = [...events];
    [swapped[4], swapped[5]] = [
      { ...at(6), seq: 5 },
      { ...at(5), seq: 6 },
    ];
    expect(verifyChain(swapped)).toMatchObject({ ok: false, seq: 5 });
  });

  it("fails on a missing middle event", () => {
    const dropped = events.filter((e) => e.seq !== 10);
    expect(verifyChain(dropped)).toEqual({
      ok: false,
      seq: 10,
      reason: "event 10 is missing: the log goes from event 9 to event 11 (removed?)",
    });
  });

  it("fails on a repeated event", () => {
    const repeated = [...events.slice(0, 5), at(5), ...events.slice(5)];
    expect(verifyChain(repeated)).toMatchObject({
      ok: false,
      seq: 6,
      reason: expect.stringMatching(/appears again/) as unknown,
    });
  });

  it("fails on a log that lost its beginning", () => {
    const renumbered = events.slice(1);
    expect(verifyChain(renumbered)).toEqual({
      ok: false,
      seq: 1,
      reason: "event 1 is missing: the log starts at event 2 (removed?)",
    });
    // Renumbered and rehashed: only the missing genesis link gives it away.
    const rebuilt = renumbered.map((e) => {
      const moved = { ...e, seq: e.seq - 1 };
      return { ...moved, hash: hashEvent(moved) };
    });
    const result = verifyChain(rebuilt);
    expect(result).toMatchObject({ ok: false, seq: 1 });
    expect(!result.ok && result.reason).toMatch(/genesis hash/);
  });

  it("catches a cut at the end only against a head published earlier", () => {
    const truncated = events.slice(0, -1);
    expect(verifyChain(truncated)).toEqual({ ok: true, count: 19, head: at(19).hash });
    const result = verifyChain(truncated, { expectedHead: head });
    expect(result).toMatchObject({ ok: false, seq: 20 });
    expect(!result.ok && result.reason).toMatch(
      /ends at event 19 .* without reaching the expected head .*truncated/,
    );
  });

  it("accepts events recorded after the expected head (the commit comes before its push is logged)", () => {
    expect(verifyChain(events, { expectedHead: at(12).hash })).toEqual({
      ok: true,
      count: 20,
      head,
      expectedHeadSeq: 12,
    });
    expect(verifyChain(events.slice(0, 11), { expectedHead: at(12).hash })).toMatchObject({
      ok: false,
    });
  });

  it("fails on a log that mixes runs", () => {
    const other = sampleRun(20, "run-2");
    const mixed = [...events.slice(0, 3), ...other.slice(3)];
    expect(verifyChain(mixed)).toEqual({
      ok: false,
      seq: 4,
      reason: "event 4 belongs to run run-2, not run-1: the log mixes runs",
    });
  });

  it("fails on an empty log", () => {
    expect(verifyChain([])).toEqual({ ok: false, seq: 0, reason: "the log is empty" });
  });

  it("catches an edit made to the exported file's text", () => {
    const text = toJsonl(events).replace('"npm test"', '"npm test && curl evil"');
    expect(verifyChain(parseJsonl(text))).toMatchObject({ ok: false, seq: 3 });
  });
});
