// The editor's bounds and line endings on real files: views cut by lines, by
// characters and per line, each cut naming a call that shows what follows; a
// character window on one long line; str_replace and insert across CRLF and LF.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  editorInputSchema,
  executeEditorCommand,
  MAX_VIEW_CHARS,
  ToolInputError,
} from "../../src/workspace/files.ts";
import { removeTempDirs, tempDir } from "./helpers.ts";

let root = "";

beforeEach(() => {
  root = join(tempDir("stamina-editor-bounds-"), "worktree");
  mkdirSync(root, { recursive: true });
});

afterAll(removeTempDirs);

const run = async (input: unknown) =>
  (await executeEditorCommand(root, editorInputSchema.parse(input))).output;
const put = (path: string, text: string) => writeFileSync(join(root, path), text);
const bytes = (path: string) => readFileSync(join(root, path), "latin1");

describe("view bounds", () => {
  it("cuts by characters, and the view_range it names starts where the cut was", async () => {
    // 3,000 lines of 100 characters: more characters than one view holds, fewer lines.
    put(
      "wide.txt",
      Array.from({ length: 3_000 }, (_, i) => `${i + 1}`.padEnd(100, ".")).join("\n"),
    );
    const out = await run({ command: "view", path: "wide.txt" });
    expect(out.length).toBeLessThan(MAX_VIEW_CHARS + 500);
    const cut = /\[Output cut after line (\d+) of 3000: .* Use view_range \[(\d+), (\d+)\]/.exec(
      out,
    );
    expect(cut).not.toBeNull();
    const [, last, next] = cut!.map(Number);
    expect(next).toBe(last! + 1);
    expect(last).toBeGreaterThan(800);
    const more = await run({ command: "view", path: "wide.txt", view_range: [next, next] });
    // A range asked for is the bound of the next one offered.
    const part = await run({ command: "view", path: "wide.txt", view_range: [1, 1_200] });
    expect(part).toContain(`Use view_range [${next}, 1200] to see more`);
    expect(more).toContain(`\t${String(next).padEnd(100, ".")}\n`);
  });

  it("cuts a long line with a note, and keeps the lines after it", async () => {
    put("mixed.js", `short\n${"x".repeat(5_000)}\nafter\n`);
    const out = await run({ command: "view", path: "mixed.js" });
    expect(out).toContain(
      `     2\t${"x".repeat(2_000)} [line 2 cut: characters 1-2000 of 5000 shown; view_range [2, 2] with char_range [2001, 5000] shows the next piece]\n     3\tafter\n`,
    );
    const piece = await run({
      command: "view",
      path: "mixed.js",
      view_range: [2, 2],
      char_range: [2001, 5000],
    });
    expect(piece).toBe(
      `Here's the result of running \`cat -n\` on ${root}/mixed.js, line 2, characters 2001-5000 of 5000:\n     2\t${"x".repeat(3_000)}\n`,
    );
  });

  it("refuses a char_range without one line, or outside the line, in words", async () => {
    put("one.txt", "abc\ndef\n");
    for (const [input, words] of [
      [{ char_range: [1, 2] }, /needs view_range to name one line/],
      [{ view_range: [1, 2], char_range: [1, 2] }, /needs view_range to name one line/],
      [{ view_range: [3, 3], char_range: [1, 2] }, /between 1 and 2/],
      [{ view_range: [1, 1], char_range: [9, 12] }, /line 1 has 3 characters/],
    ] as const) {
      const error = await run({ command: "view", path: "one.txt", ...input }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ToolInputError);
      expect((error as Error).message).toMatch(words);
    }
  });

  it("bounds the snippet an edit shows", async () => {
    put("min.js", `${"a".repeat(300_000)}\n`);
    const edited = await run({
      command: "insert",
      path: "min.js",
      insert_line: 0,
      insert_text: "b\n",
    });
    expect(edited.length).toBeLessThan(3_000);
    expect(edited).toContain("[line 2 cut: characters 1-2000 of 300000 shown");
  });
});

describe("line endings", () => {
  it("matches a multi-line old_str written with \\n in a CRLF file, and writes CRLF back", async () => {
    put("win.txt", "one\r\ntwo\r\nthree\r\n");
    const out = await run({
      command: "str_replace",
      path: "win.txt",
      old_str: "one\ntwo\n",
      new_str: "1\n2\n2.5\n",
    });
    expect(out).toContain("The file");
    expect(bytes("win.txt")).toBe("1\r\n2\r\n2.5\r\nthree\r\n");
  });

  it("matches \\r\\n sent for an LF file, and writes LF back", async () => {
    put("unix.txt", "one\ntwo\nthree\n");
    await run({
      command: "str_replace",
      path: "unix.txt",
      old_str: "one\r\ntwo",
      new_str: "1\r\n2",
    });
    expect(bytes("unix.txt")).toBe("1\n2\nthree\n");
  });

  it("in a mixed file, matches literally first, then as CRLF, and keeps the other lines as they were", async () => {
    put("mixed.txt", "a\nb\r\nc\r\nd\n");
    await run({ command: "str_replace", path: "mixed.txt", old_str: "a\nb", new_str: "A\nB" });
    expect(bytes("mixed.txt")).toBe("A\nB\r\nc\r\nd\n");
    await run({ command: "str_replace", path: "mixed.txt", old_str: "B\nc\n", new_str: "B\nC\n" });
    expect(bytes("mixed.txt")).toBe("A\nB\r\nC\r\nd\n");
  });

  it("inserts lines with the file's CRLF, at the end of a file without a final newline too", async () => {
    put("win.txt", "one\r\ntwo");
    await run({ command: "insert", path: "win.txt", insert_line: 1, insert_text: "x\ny\n" });
    expect(bytes("win.txt")).toBe("one\r\nx\r\ny\r\ntwo");
    await run({ command: "insert", path: "win.txt", insert_line: 4, insert_text: "end" });
    expect(bytes("win.txt")).toBe("one\r\nx\r\ny\r\ntwo\r\nend");
  });
});
