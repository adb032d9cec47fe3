// What counts as a read, the notion the memory chart and the watchdog's stall rule share.
import { describe, expect, it } from "vitest";
import { readsOf } from "../../../src/audit/health/index.ts";

const bash = (command: string, exitCode = 0) =>
  readsOf({ name: "bash", input: { command }, isError: false, exitCode });
const view = (input: Record<string, unknown>, isError = false) =>
  readsOf({ name: "str_replace_based_edit_tool", input: { command: "view", ...input }, isError });

describe("a read", () => {
  it("is the editor's view of a file, and of a range of it", () => {
    expect(view({ path: "./src/a.ts" })).toEqual(["file:src/a.ts"]);
    expect(view({ path: "src//a.ts" })).toEqual(view({ path: "src/a.ts" }));
    expect(view({ path: "a.ts", view_range: [1, 200] })).toEqual(["file:a.ts#1-200"]);
    expect(
      readsOf({
        name: "str_replace_based_edit_tool",
        input: { command: "str_replace", path: "a.ts" },
        isError: false,
      }),
    ).toEqual([]);
  });

  it("is a command line that only looks, keyed by the line", () => {
    expect(bash("cat  a.txt")).toEqual(["command:cat a.txt"]);
    expect(bash("cd src && ls -la | sort")).toEqual(["command:cd src && ls -la | sort"]);
    expect(bash("git log --oneline -5")).toEqual(["command:git log --oneline -5"]);
    expect(bash("sed -n 1,20p a.txt")).toHaveLength(1);
    expect(bash("grep -rn x src 2>/dev/null")).toHaveLength(1);
    expect(bash("LC_ALL=C grep -rn x src 2>&1 | head")).toHaveLength(1);
  });

  it("is not a command that changes, runs or writes something", () => {
    for (const command of [
      "npm test",
      "echo hi",
      "cat a > b",
      "cat a >> b",
      "sed -i s/a/b/ a.txt",
      "find . -name '*.tmp' -delete",
      "git commit -m x",
      "cat $(ls)",
      "ls && rm -rf build",
    ]) {
      expect(bash(command), command).toEqual([]);
    }
  });

  it("is not a call that failed", () => {
    expect(bash("cat missing.txt", 1)).toEqual([]);
    expect(view({ path: "missing.txt" }, true)).toEqual([]);
  });

  it("is a search with its input", () => {
    expect(
      readsOf({ name: "search", input: { pattern: "x", path: "src" }, isError: false }),
    ).toEqual(['search:{"path":"src","pattern":"x"}']);
  });
});
