// The JSONL file form: written one event per line, read back with each bad line named.
import { describe, expect, it } from "vitest";
import { AuditLogParseError, parseJsonl, toJsonl } from "../../src/audit/verify.ts";
import { sampleRun } from "./fixture.ts";

const events = sampleRun(3);

describe("toJsonl / parseJsonl", () => {
  it("writes one event per line, newline-terminated, and reads it back", () => {
    const text = toJsonl(events);
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.trimEnd().split("\n")).toHaveLength(3);
    expect(parseJsonl(text)).toEqual(events);
  });

  it("writes nothing for no events, and reads nothing from an empty file", () => {
    expect(toJsonl([])).toBe("");
    expect(parseJsonl("")).toEqual([]);
  });

  it("tolerates CRLF line ends and blank lines", () => {
    const text = toJsonl(events).replace(/\n/g, "\r\n") + "\r\n\r\n";
    expect(parseJsonl(text)).toEqual(events);
  });

  it("names the line that is not JSON", () => {
    const lines = toJsonl(events).split("\n");
    lines[1] = "{not json";
    const parse = () => parseJsonl(lines.join("\n"));
    expect(parse).toThrow(AuditLogParseError);
    expect(parse).toThrow(/^line 2 of the audit log is not valid JSON/);
  });

  it("names the line and the field that is not an audit event", () => {
    const bad = { ...events[2], seq: -1 };
    const text = toJsonl(events.slice(0, 2)) + JSON.stringify(bad) + "\n";
    expect(() => parseJsonl(text)).toThrow(
      /^line 3 of the audit log is not an audit event \(seq: /,
    );
  });

  it("refuses a field the hash does not cover", () => {
    const text = JSON.stringify({ ...events[0], note: "added later" });
    expect(() => parseJsonl(text)).toThrow(/line 1 .*Unrecognized key: "note"/);
  });

  it("refuses data that is not an object and hashes that are not sha256 hex", () => {
    expect(() => parseJsonl(JSON.stringify({ ...events[0], data: [1] }))).toThrow(/data: /);
    expect(() => parseJsonl(JSON.stringify({ ...events[0], hash: "abc" }))).toThrow(
      /hash: expected 64/,
    );
  });
});
