// Generated bad audit logs, given to `stamina audit verify` and `stamina replay` as a person
// gives them (the commands in this process, as main.ts dispatches them): a recorded session's
// log, signed, then damaged as text (lines cut, repeated, swapped, bytes changed), edited as
// JSON, or edited and hashed again so that its chain holds and only its content is wrong.
// Nothing crashes; what is refused is refused in words; and what verifies is the log as written.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fc, it } from "@fast-check/vitest";
import { afterAll, describe, expect } from "vitest";
import { appendEvent } from "../../src/audit/chain.ts";
import { auditSigner, generateAuditKey, SIGNED_EVENT } from "../../src/audit/signing.ts";
import type { AuditEvent } from "../../src/audit/types.ts";
import { parseJsonl, toJsonl } from "../../src/audit/verify.ts";
import { auditCommand } from "../../src/cli/audit.ts";
import { replayCommand } from "../../src/cli/replay/command.ts";
import { configObject } from "./config-input.ts";
import { expectClearMessage, fuzzArea, fuzzParameters } from "./fuzz.ts";

const area = fuzzArea("audit");
const dir = mkdtempSync(join(tmpdir(), "stamina-fuzz-audit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A repository without the recorded base commit: a replay that gets past the log stops there.
const repo = join(dir, "repo");
mkdirSync(repo);
execFileSync("git", ["init", "--quiet", repo]);

const signer = auditSigner(generateAuditKey(), "test key");
const BASE = "0123456789abcdef0123456789abcdef01234567";

/** What a recorded `stamina run` session's log holds, in its order. */
const RECORDED: Array<{ type: string; data: Record<string, unknown> }> = [
  { type: "run.start", data: { mode: "local", repo, branch: "main", base: BASE } },
  {
    type: "agent.start",
    data: {
      model: "claude-sonnet-5-5",
      maxSteps: 50,
      budget: { steps: 50, tokens: 5_000_000, dollars: 10, minutes: 120 },
      maxTokens: 8000,
      prompts: { system: "a".repeat(64), task: "b".repeat(64) },
      system: "You are Stamina.",
      task: "Fix the greeting.",
      config: { label: "stamina", test: "npm test" },
      worktree: "/tmp/run/worktree",
      outputDir: "/tmp/run/outputs",
    },
  },
  { type: "model.request", data: { step: 1, elapsedMs: 10 } },
  {
    type: "model.response",
    data: {
      id: "msg_1",
      stopReason: "tool_use",
      usage: { input_tokens: 10, output_tokens: 5 },
      content: [{ type: "tool_use", id: "toolu_1", name: "bash", input: { command: "ls" } }],
    },
  },
  { type: "tool.call", data: { name: "bash", input: { command: "ls" }, output: "a.txt\n" } },
  { type: "model.request", data: { step: 2, elapsedMs: 20 } },
  {
    type: "model.response",
    data: {
      id: "msg_2",
      stopReason: "end_turn",
      usage: {},
      content: [{ type: "text", text: "Done." }],
    },
  },
  { type: "agent.stop", data: { stop: "done", steps: 2, spent: { elapsedMs: 30 } } },
  { type: "run.finished", data: { outcome: "done" } },
];

function chained(entries: Array<{ type: string; data: Record<string, unknown> }>): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (const [i, entry] of entries.entries()) {
    events.push(
      appendEvent(
        events.at(-1),
        "local-1",
        entry,
        new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      ),
    );
  }
  const head = events.at(-1)!.hash;
  events.push(
    appendEvent(
      events.at(-1),
      "local-1",
      { type: SIGNED_EVENT, data: { head, signature: signer.sign(head) } },
      "2026-01-01T00:01:00.000Z",
    ),
  );
  return events;
}

const original = chained(RECORDED);
const originalText = toJsonl(original);
const HEAD = original.at(-1)!.hash;

/** The log's text damaged: lines dropped, repeated or swapped, characters changed, cut short. */
const damagedText = fc.oneof(
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => {
    const lines = originalText.split("\n");
    const [i, j] = [a % lines.length, b % lines.length];
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
    return lines.join("\n");
  }),
  fc.nat().map((a) =>
    originalText
      .split("\n")
      .filter((_, i) => i !== a % 11)
      .join("\n"),
  ),
  fc.nat().map((a) => {
    const lines = originalText.split("\n");
    lines.splice(a % lines.length, 0, lines[(a * 7) % lines.length]!);
    return lines.join("\n");
  }),
  fc.nat().map((a) => originalText.slice(0, a % originalText.length)),
  fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 4 })).map(([a, s]) => {
    const at = a % originalText.length;
    return originalText.slice(0, at) + s + originalText.slice(at + 1);
  }),
  fc.constantFrom(
    "",
    "\n\n",
    "{}",
    "[]",
    "null",
    "\uFEFF" + originalText,
    originalText.replace(/\n/g, "\r\n"),
  ),
);

const FIELDS = ["run", "seq", "ts", "type", "data", "prevHash", "hash", "extra"];

/** One event's field given another value, as JSON, its hashes left as they were. */
const editedText = fc
  .tuple(
    fc.nat(),
    fc.constantFrom(...FIELDS),
    fc.oneof(fc.anything(), fc.constantFrom(0, -1, 1.5, "", "x".repeat(64))),
  )
  .map(([at, field, value]) => {
    const events = original.map((e) => ({ ...e })) as Array<Record<string, unknown>>;
    events[at % events.length]![field] = value;
    return events.map((e) => JSON.stringify(e)).join("\n");
  });

/** A recorded session's content changed and its chain hashed again: it verifies, and is wrong. */
const rehashedEvents = fc
  .tuple(
    // agent.start and model.response most: the events a replay reads.
    fc.oneof(fc.constantFrom(1, 1, 3, 6), fc.integer({ min: 0, max: RECORDED.length - 1 })),
    fc.oneof(
      fc.record({
        key: fc.constantFrom(
          "config",
          "config",
          "config",
          "budget",
          "maxTokens",
          "model",
          "content",
          "prompts",
          "memory",
          "repo",
          "base",
          "branch",
          "spent",
          "stopReason",
          "usage",
          "task",
        ),
        value: fc.oneof(fc.anything(), configObject),
      }),
      fc.record({
        key: fc.constant(undefined),
        value: fc.dictionary(fc.string({ maxLength: 6 }), fc.anything(), { maxKeys: 3 }),
      }),
    ),
    fc.option(fc.constantFrom("agent.start", "model.response", "run.start", "other"), {
      nil: undefined,
    }),
  )
  .map(([at, { key, value }, type]) =>
    RECORDED.map((entry, i) => {
      if (i !== at) return entry;
      const data = key === undefined ? value : { ...entry.data, [key]: value };
      return { type: type ?? entry.type, data };
    }),
  )
  .map(chained);

function io() {
  const out = { text: "" };
  const err = { text: "" };
  return {
    out,
    err,
    io: {
      out: { write: (t: string) => void (out.text += t) },
      err: { write: (t: string) => void (err.text += t) },
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        STAMINA_DATA_DIR: join(dir, "data"),
        ANTHROPIC_API_KEY: "sk-ant-fuzz",
      },
      signal: new AbortController().signal,
    },
  };
}

let files = 0;
function write(text: string): string {
  const file = join(dir, `log-${++files}.jsonl`);
  writeFileSync(file, text);
  return file;
}

/** zod's own wording ("expected string, received undefined") is words; anything else is not. */
function expectRefusal(text: string, input: unknown): void {
  expectClearMessage(text, JSON.stringify(input)?.slice(0, 500));
}

describe("stamina audit verify", () => {
  it("passes the log as written", async () => {
    const sound = io();
    expect(
      await auditCommand(
        ["verify", write(originalText), "--head", HEAD, "--key", signer.publicKey],
        sound.io,
      ),
    ).toBe(0);
  });

  it.prop([fc.oneof(damagedText, editedText)], fuzzParameters(300))(
    "refuses every change to it in words",
    async (text) => {
      area.tried();
      const { io: cli, out, err } = io();
      const status = await area.guard(text, () =>
        auditCommand(["verify", write(text), "--head", HEAD, "--key", signer.publicKey], cli),
      );
      if (status === 0) {
        // Only a log that is the one written (its lines' spacing aside) verifies.
        expect(parseJsonl(text)).toEqual(original);
        expect(out.text).toMatch(/^ok: /);
        return;
      }
      expect(status).toBe(1);
      expect(err.text).toMatch(/^invalid: /);
      expectRefusal(err.text, text);
    },
  );
});

describe("stamina replay", () => {
  it("refuses a log whose agent.start records a config Stamina does not accept (found by this fuzz)", async () => {
    const entries = RECORDED.map((e) =>
      e.type === "agent.start"
        ? { ...e, data: { ...e.data, config: { budget: { steps: -1 } } } }
        : e,
    );
    const { io: cli, err } = io();
    expect(await replayCommand([write(toJsonl(chained(entries)))], cli)).toBe(2);
    expect(err.text).toBe(
      "stamina replay: the log's agent.start event records a repository config Stamina does not accept (edited?): `budget.steps` must be at least 1\n",
    );
  });

  it.prop(
    [fc.oneof({ weight: 3, arbitrary: rehashedEvents.map(toJsonl) }, damagedText, editedText)],
    fuzzParameters(60),
  )(
    "refuses a log it cannot replay, in words, hashed again or not",
    async (text) => {
      area.tried();
      const { io: cli, err } = io();
      const status = await area.guard(text, () => replayCommand([write(text)], cli));
      // The repository never has the base commit: no log gets a replay here.
      expect([1, 2]).toContain(status);
      expect(err.text).toMatch(/^stamina replay: /);
      expectRefusal(err.text, text);
    },
    120_000,
  );
});
