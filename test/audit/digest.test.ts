// The audit digest on the pull request: counts, tokens and the chain head.
import { describe, expect, it } from "vitest";
import { renderDigest } from "../../src/audit/render.ts";
import { chain } from "./fixture.ts";

describe("renderDigest", () => {
  const events = chain(
    [
      { type: "run.claimed", data: { attempt: 1 } },
      { type: "model.request", data: { step: 1 } },
      {
        type: "model.response",
        data: { step: 1, usage: { input_tokens: 1200, output_tokens: 300 } },
      },
      { type: "tool.call", data: { name: "bash", input: { command: "npm test" } } },
      { type: "tool.result", data: { name: "bash", isError: false, exitCode: 2 } },
      {
        type: "tool.call",
        data: { name: "str_replace_based_edit_tool", input: { command: "view" } },
      },
      { type: "tool.result", data: { name: "str_replace_based_edit_tool", isError: false } },
      {
        type: "model.response",
        data: { step: 2, usage: { input_tokens: 800, output_tokens: 700 } },
      },
      { type: "command", data: { purpose: "verify", command: "npm test", exitCode: 0 } },
      {
        type: "command",
        data: { purpose: "setup", command: "npm ci", exitCode: null, timedOut: true },
      },
      { type: "git.commit", data: { sha: "abc" } },
      { type: "git.push", data: { branch: "stamina/1-x", sha: "abc" } },
      { type: "github.write", data: { op: "pull.create", number: 2 } },
      { type: "github.write", data: { op: "comment.update", commentId: 9 } },
    ],
    "run-42",
  );
  const digest = renderDigest(events);

  it("names the run and counts its events", () => {
    expect(digest).toContain("**Run** `run-42`: 14 events, 2026-03-02 09:00 → 09:00 UTC");
  });

  it("counts model calls and sums their tokens", () => {
    expect(digest).toContain("**Model calls** 2 (2,000 tokens in, 1,000 out)");
  });

  it("counts tool calls, and commands with a non-zero exit (bash through a tool and the harness's own)", () => {
    expect(digest).toContain("**Tool calls** 2; **commands** 3, 2 with a non-zero exit or none");
  });

  it("counts commits, pushes and GitHub writes", () => {
    expect(digest).toContain("**Commits** 1; **pushes** 1; **GitHub writes** 2");
  });

  it("shows the chain head in a code span", () => {
    expect(digest).toContain(`**Chain head** \`${events.at(-1)?.hash}\` (seq 14)`);
  });

  it("stays short", () => {
    expect(digest.split("\n").length).toBeLessThanOrEqual(6);
  });

  it("counts input read from and written to the prompt cache as input, and says how much", () => {
    const cached = chain([
      {
        type: "model.response",
        data: { usage: { input_tokens: 0, cache_read_input_tokens: 9_000, output_tokens: 100 } },
      },
      {
        type: "model.response",
        data: {
          usage: {
            input_tokens: 45,
            cache_read_input_tokens: 3_000,
            cache_creation_input_tokens: 300,
            output_tokens: 700,
          },
        },
      },
    ]);
    expect(renderDigest(cached)).toContain(
      "**Model calls** 2 (12,345 tokens in (12,000 from cache, 300 written to cache), 800 out)",
    );
  });

  it("ignores usage that is not a number", () => {
    const odd = chain([
      { type: "model.response", data: { usage: { input_tokens: "lots", output_tokens: -5 } } },
    ]);
    expect(renderDigest(odd)).toContain("**Model calls** 1 (0 tokens in, 0 out)");
  });

  it("says so when there are no events", () => {
    expect(renderDigest([])).toBe("_No audit events were recorded._");
  });
});
