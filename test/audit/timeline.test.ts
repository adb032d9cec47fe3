// The timeline on the pull request: its line format, its size limit, and nothing in it that renders.
import { describe, expect, it } from "vitest";
import { renderTimeline, timelineLine } from "../../src/audit/render.ts";
import { chain, sampleEntry } from "./fixture.ts";

const CUT_NOTE =
  /^… (\d+) events cut \(seq (\d+)–(\d+)\); the full log is in the "Stamina audit log" check runs and `stamina audit export` …$/m;

describe("renderTimeline", () => {
  it("writes one line per event: seq, UTC time, type and summary", () => {
    const events = chain([
      { type: "run.claimed", data: { attempt: 1, version: "0.1.0" } },
      {
        type: "command",
        data: {
          purpose: "verify",
          command: "npm test",
          exitCode: 1,
          timedOut: false,
          durationMs: 4200,
        },
      },
      { type: "git.commit", data: { sha: "0123456789abcdef0123", auditHead: "f".repeat(64) } },
    ]);
    expect(renderTimeline(events, 10_000)).toBe(
      [
        "1. 09:00:00 run.claimed — `attempt 1 Stamina 0.1.0`",
        "2. 09:00:01 command — `verify: npm test → exit 1 in 4.2 s`",
        "3. 09:00:02 git.commit — `commit 0123456789ab`",
      ].join("\n"),
    );
  });

  it("fits 5,000 events with long data into 60,000 characters, keeping the first and the last", () => {
    const long = "x".repeat(3_000);
    const events = chain(
      Array.from({ length: 5_000 }, (_, i) => {
        const entry = sampleEntry(i);
        return {
          type: entry.type,
          data: { ...entry.data, text: long, output: `${long}\n${long}` },
        };
      }),
    );
    const text = renderTimeline(events, 60_000);
    expect(text.length).toBeLessThanOrEqual(60_000);
    expect(text.length).toBeGreaterThan(55_000); // the room is used, not wasted
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^1\. 09:00:00 model\.request — /);
    expect(lines.at(-1)).toMatch(/^5000\. 10:23:19 tool\.result — /);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(220);

    // The note accounts for exactly the events that are not shown.
    const note = CUT_NOTE.exec(text);
    expect(note).not.toBeNull();
    const [cut, from, to] = [Number(note?.[1]), Number(note?.[2]), Number(note?.[3])];
    const shown = lines.filter((l) => /^\d+\. /.test(l)).map((l) => Number(l.split(".")[0]));
    expect(shown.length + cut).toBe(5_000);
    expect(to - from + 1).toBe(cut);
    expect(shown).toContain(from - 1);
    expect(shown).toContain(to + 1);
    // About as much of the start as of the end: how it began and how it finished both matter.
    const [head, tail] = [from - 1, 5_000 - to];
    expect(Math.abs(head - tail)).toBeLessThanOrEqual(2);
    // Blank lines around the note, so the list after it keeps its own numbering.
    expect(text).toContain(`\n\n${note?.[0]}\n\n${to + 1}. `);
  });

  it("stays within the limit at every size, however small", () => {
    const events = chain(Array.from({ length: 300 }, (_, i) => sampleEntry(i)));
    for (const max of [0, 1, 50, 150, 400, 700, 1_000, 5_000, 20_000]) {
      expect(renderTimeline(events, max).length).toBeLessThanOrEqual(max);
    }
    expect(renderTimeline(events, 1_000)).toMatch(CUT_NOTE);
  });

  it("cuts a single event as '1 event cut'", () => {
    const events = chain(Array.from({ length: 3 }, (_, i) => sampleEntry(i)));
    const whole = renderTimeline(events, 100_000);
    const text = renderTimeline(events, whole.length - 1);
    expect(text).toContain("… 1 event cut (seq 2);");
    expect(text.length).toBeLessThanOrEqual(whole.length - 1);
  });

  it("says so when there are no events", () => {
    expect(renderTimeline([], 1_000)).toBe("_No audit events were recorded._");
  });
});

describe("timelineLine", () => {
  it("cannot break the Markdown, ping anyone or link an issue", () => {
    const [event] = chain([
      {
        type: "model.response",
        data: {
          stopReason: "end_turn",
          text: "Done ``` @octocat and @github/security-team, fixes #12\n\n</details><img src=x>",
        },
      },
    ]);
    if (!event) throw new Error("no event");
    const line = timelineLine(event);
    expect(line).not.toContain("\n");
    // Only the two backticks of the code span itself.
    expect(line.match(/`/g)).toHaveLength(2);
    expect(line).toMatch(/— `.*`$/);
    expect(line).not.toMatch(/@[a-z]/i);
    expect(line).not.toMatch(/#\d/);
    expect(line).toContain("@\u200Docto");
  });

  it("neutralises a strange event type", () => {
    const [event] = chain([{ type: "x`@y\n#1 <b>", data: {} }]);
    if (!event) throw new Error("no event");
    expect(timelineLine(event)).toBe("1. 09:00:00 x??y??1??b?");
  });
});
