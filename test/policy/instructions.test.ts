// The repository's instructions joined: each part headed by its file, hidden content removed,
// each file and the whole cut to size with a note that says so.
import { describe, expect, it } from "vitest";
import { MAX_INSTRUCTIONS_CHARS, parseRepoConfig } from "../../src/policy/config.ts";
import { joinInstructions, MAX_INSTRUCTION_FILE_CHARS } from "../../src/policy/instructions.ts";

describe("joinInstructions", () => {
  it("is empty when there is nothing, and skips empty files", () => {
    expect(joinInstructions("", [])).toBe("");
    expect(joinInstructions("", [{ path: "CLAUDE.md", text: "<!-- only a comment -->\n" }])).toBe(
      "",
    );
  });

  it("cuts a long file with a note naming it, and the whole to what the config key holds", () => {
    const long = "x".repeat(MAX_INSTRUCTION_FILE_CHARS + 500);
    const one = joinInstructions("", [{ path: "AGENTS.md", text: long }]);
    expect(one).toContain("[… 500 more characters of `AGENTS.md` were cut …]");

    const files = ["AGENTS.md", "CLAUDE.md", ".github/copilot-instructions.md"].map((path) => ({
      path,
      text: long,
    }));
    const all = joinInstructions("y".repeat(MAX_INSTRUCTIONS_CHARS), files);
    expect(all.length).toBeLessThanOrEqual(MAX_INSTRUCTIONS_CHARS);
    expect(all).toMatch(/more characters of the instructions were cut …\]$/);
    // The run keeps it in its config, which is read back through the schema.
    expect(parseRepoConfig({ instructions: all }).instructions).toBe(all);
  });
});
