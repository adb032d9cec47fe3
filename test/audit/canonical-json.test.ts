// Canonical JSON: the byte form the chain hashes must not depend on key order or a round trip.
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/audit/canonical-json.ts";

describe("canonicalJson", () => {
  it("sorts keys at every depth and writes no whitespace", () => {
    const value = { b: 1, a: { d: [3, { z: true, y: null }], c: "x" } };
    expect(canonicalJson(value)).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it("does not depend on the order the object was built in", () => {
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });

  it("sorts integer-like keys as strings, not in JavaScript's own property order", () => {
    expect(canonicalJson({ 2: "b", 10: "a" })).toBe('{"10":"a","2":"b"}');
  });

  it("writes what JSON.parse(JSON.stringify(v)) would hold, so a round trip hashes the same", () => {
    const value = {
      when: new Date("2026-01-01T00:00:00.000Z"),
      gone: undefined,
      list: [undefined, Number.NaN, -0, () => 1],
      text: 'quote " backslash \\ newline \n',
    };
    const roundTripped: unknown = JSON.parse(JSON.stringify(value));
    expect(canonicalJson(value)).toBe(canonicalJson(roundTripped));
    expect(canonicalJson(value)).toBe(
      '{"list":[null,null,0,null],"text":"quote \\" backslash \\\\ newline \\n","when":"2026-01-01T00:00:00.000Z"}',
    );
  });

  it("refuses values JSON cannot hold", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
    expect(() => canonicalJson({ n: 1n })).toThrow(/BigInt/);
  });

  it("allows the same object twice when it is not a cycle", () => {
    const shared = { a: 1 };
    expect(canonicalJson([shared, shared])).toBe('[{"a":1},{"a":1}]');
  });
});
