// One-line event summaries: per-type wording, and text made safe for Markdown.
import { describe, expect, it } from "vitest";
import { summarizeEvent } from "../../src/audit/render.ts";
import type { AuditEntry } from "../../src/audit/types.ts";
import { chain } from "./fixture.ts";

function summary(entry: AuditEntry): string {
  const [event] = chain([entry]);
  if (!event) throw new Error("no event");
  return summarizeEvent(event);
}

describe("summarizeEvent", () => {
  // Keys come out sorted: the chain stores data in its canonical form.
  it.each<[AuditEntry, string]>([
    [
      {
        type: "tool.call",
        data: { step: 3, name: "bash", input: { command: "npm test -- --run" } },
      },
      "bash: npm test -- --run",
    ],
    [
      {
        type: "tool.call",
        data: {
          name: "str_replace_based_edit_tool",
          input: { command: "create", path: "src/a.ts", file_text: "x" },
        },
      },
      "str_replace_based_edit_tool: create src/a.ts",
    ],
    [
      { type: "tool.call", data: { name: "search", input: { query: "TODO", limit: 5 } } },
      "search: limit=5, query=TODO",
    ],
    [
      {
        type: "tool.result",
        data: { name: "bash", isError: false, exitCode: 1, output: "\nFAIL test/a.test.ts\nmore" },
      },
      "bash ok exit 1: FAIL test/a.test.ts",
    ],
    [
      {
        type: "command",
        data: {
          purpose: "setup",
          command: "npm ci",
          exitCode: null,
          timedOut: true,
          durationMs: 600000,
        },
      },
      "setup: npm ci → timed out in 600.0 s",
    ],
    [
      {
        type: "model.response",
        data: {
          step: 2,
          stopReason: "tool_use",
          usage: { input_tokens: 10, output_tokens: 5 },
          text: "Let me look.",
          toolCalls: [
            { id: "t1", name: "bash" },
            { id: "t2", name: "search" },
          ],
        },
      },
      "step 2 stop tool_use; 10 tokens in, 5 out; calls bash, search: Let me look.",
    ],
    [
      {
        type: "model.response",
        data: {
          step: 3,
          stopReason: "end_turn",
          usage: {
            input_tokens: 0,
            cache_read_input_tokens: 12_000,
            cache_creation_input_tokens: 345,
            output_tokens: 800,
          },
          text: "Done.",
        },
      },
      "step 3 stop end_turn; 12,345 tokens in (12,000 from cache, 345 written to cache), 800 out: Done.",
    ],
    [
      { type: "git.push", data: { branch: "stamina/7-fix", sha: "0123456789abcdef" } },
      "stamina/7-fix at 0123456789ab",
    ],
    [
      {
        type: "git.secret_scan",
        data: {
          since: "0123456789abcdef",
          result: "blocked",
          findings: [{ path: "config.js", line: 2, kind: "GitHub token" }],
        },
      },
      "blocked (GitHub token in config.js:2)",
    ],
    [
      {
        type: "git.secret_scan",
        data: {
          since: "0123456789abcdef",
          result: "approved",
          approvedBy: "maintainer",
          findings: [{ path: "fixture.js", line: 1, kind: "@secretlint/secretlint-rule-slack" }],
        },
      },
      "approved by maintainer (@\u200Dsecretlint/secretlint-rule-slack in fixture.js:1)",
    ],
    [
      { type: "github.write", data: { op: "pull.create", number: 8, draft: true } },
      "pull.create #\u200D8 (draft)",
    ],
    [
      { type: "verify.result", data: { command: "npm test", passed: false, exitCode: 1 } },
      "npm test failed (exit 1)",
    ],
    [
      {
        type: "verify.result",
        data: {
          phase: "final_verify",
          configured: true,
          passed: false,
          checks: [
            { name: "build", passed: true, exitCode: 0 },
            { name: "test", passed: false, exitCode: 1 },
            { name: "lint", passed: false, skipped: "the build failed", exitCode: null },
          ],
        },
      },
      "final_verify failed (build ok, test exit 1, lint skipped)",
    ],
    [
      { type: "verify.result", data: { phase: "verify", configured: false, checks: [] } },
      "verify no checks configured",
    ],
    [
      {
        type: "model.retry",
        data: { step: 2, attempt: 1, status: 529, errorType: "overloaded_error", waitMs: 2500 },
      },
      "step 2 retry 1 529 overloaded_error waiting 2.5 s",
    ],
    [
      { type: "agent.phase", data: { step: 3, from: "implement", to: "verify" } },
      "step 3 implement → verify",
    ],
    [
      {
        type: "command",
        data: { purpose: "verify", check: "test", command: "npm test", exitCode: 0 },
      },
      "verify (test): npm test → exit 0",
    ],
    [
      { type: "git.commit", data: { sha: "0123456789abcdef", reason: "verified" } },
      "commit 0123456789ab (verified)",
    ],
    [
      { type: "run.finished", data: { state: "succeeded", outcome: "pull request opened" } },
      "succeeded: pull request opened",
    ],
    [
      {
        type: "approval.granted",
        data: { by: "octocat", action: { path: ".github" }, list: [1, 2] },
      },
      "action={…}, by=octocat, list=[2]",
    ],
  ])("summarises %j", (entry, expected) => {
    expect(summary(entry)).toBe(expected);
  });

  it("keeps a summary to one line of at most 200 characters", () => {
    const text = summary({
      type: "model.response",
      data: { text: `${"word ".repeat(500)}\n\nmore` },
    });
    expect(text.length).toBeLessThanOrEqual(200);
    expect(text).not.toContain("\n");
    expect(text.endsWith("…")).toBe(true);
  });

  it("neutralises backticks, mentions, issue references and invisible characters", () => {
    const text = summary({
      type: "tool.result",
      data: { name: "bash", output: "`@octocat` see #3\u202Egnp.exe\u200B" },
    });
    expect(text).toBe("bash ok: ˋ@\u200Doctocatˋ see #\u200D3gnp.exe");
  });

  it("collapses line breaks, tabs and runs of spaces into single spaces", () => {
    expect(
      summary({ type: "verify.skipped", data: { reason: " no\r\n\ntest \t  command " } }),
    ).toBe("no test command");
  });

  it("copes with fields of the wrong type", () => {
    expect(summary({ type: "command", data: { command: 42, exitCode: "x" } })).toBe(
      "42 → no exit code",
    );
    expect(summary({ type: "tool.call", data: { input: "raw" } })).toBe("");
  });
});
