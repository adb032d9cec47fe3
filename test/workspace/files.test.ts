// The text editor tool: its four commands on real files, errors the model can
// act on, and a workspace boundary that ../, absolute paths, symlinks and
// .git cannot cross.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  editorInputSchema,
  executeEditorCommand,
  PathOutsideWorkspaceError,
  ToolInputError,
} from "../../src/workspace/files.ts";
import { removeTempDirs, tempDir } from "./helpers.ts";

let root = "";
let outside = "";

beforeEach(() => {
  const base = tempDir("stamina-files-");
  root = join(base, "worktree");
  outside = join(base, "outside");
  mkdirSync(join(root, ".git"), { recursive: true });
  mkdirSync(join(root, "src", "deep", "deeper"), { recursive: true });
  mkdirSync(join(root, "node_modules", "pkg"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(root, ".git", "config"), "[core]\n");
  writeFileSync(join(root, "src", "a.ts"), "one\ntwo\nthree\n");
  writeFileSync(join(root, "src", "deep", "deeper", "hidden.ts"), "x\n");
  writeFileSync(join(outside, "secret.txt"), "secret\n");
});

afterAll(removeTempDirs);

const run = async (input: unknown) =>
  (await executeEditorCommand(root, editorInputSchema.parse(input))).output;
const file = (path: string) => readFileSync(join(root, path), "utf8");

describe("view", () => {
  it("shows a file with line numbers", async () => {
    const out = await run({ command: "view", path: "src/a.ts" });
    expect(out).toBe(
      `Here's the result of running \`cat -n\` on ${root}/src/a.ts:\n     1\tone\n     2\ttwo\n     3\tthree\n`,
    );
  });

  it("shows a range, with -1 for the end, given as numbers or strings", async () => {
    expect(
      await run({ command: "view", path: join(root, "src/a.ts"), view_range: [2, -1] }),
    ).toContain("     2\ttwo\n     3\tthree\n");
    const out = await run({ command: "view", path: "src/a.ts", view_range: ["2", "2"] });
    expect(out).toMatch(/ {5}2\ttwo\n$/);
    expect(await run({ command: "view", path: "src/a.ts", view_range: "[1, 1]" })).toMatch(
      / {5}1\tone\n$/,
    );
    await expect(run({ command: "view", path: "src/a.ts", view_range: [5, 6] })).rejects.toThrow(
      ToolInputError,
    );
  });

  it("lists a directory two levels deep without .git and node_modules", async () => {
    const out = await run({ command: "view", path: "." });
    const [header = "", ...entries] = out.trim().split("\n");
    expect(header).toBe(
      `Here are the files and directories up to 2 levels deep in ${root}, excluding .git and node_modules:`,
    );
    expect(entries).toEqual([`${root}/src/`, `${root}/src/a.ts`, `${root}/src/deep/`]);
  });

  it("caps a huge file with a note on how to see more", async () => {
    writeFileSync(
      join(root, "big.txt"),
      Array.from({ length: 20_000 }, (_, i) => `l${i}`).join("\n"),
    );
    const out = await run({ command: "view", path: "big.txt" });
    expect(out).toContain(
      "  2000\tl1999\n[Output cut after line 2000 of 20000: one view shows at most 2000 lines and 100000 characters. Use view_range [2001, 4000] to see more",
    );
  });
});

describe("create", () => {
  it("creates a file and its parent folders", async () => {
    expect(await run({ command: "create", path: "new/dir/f.txt", file_text: "hi\n" })).toBe(
      `File created: ${root}/new/dir/f.txt`,
    );
    expect(file("new/dir/f.txt")).toBe("hi\n");
  });
});

describe("str_replace", () => {
  it("replaces exactly one match and shows the result", async () => {
    const out = await run({
      command: "str_replace",
      path: "src/a.ts",
      old_str: "two\n",
      new_str: "2\n",
    });
    expect(file("src/a.ts")).toBe("one\n2\nthree\n");
    expect(out).toContain("     2\t2\n");
  });

  it("deletes when new_str is left out", async () => {
    await run({ command: "str_replace", path: "src/a.ts", old_str: "two\n" });
    expect(file("src/a.ts")).toBe("one\nthree\n");
  });

  it("says when nothing matches, and when several do, naming their lines", async () => {
    writeFileSync(join(root, "dup.txt"), "x = 1\ny\nx = 1\nz\nx = 1\n");
    const none = await run({
      command: "str_replace",
      path: "dup.txt",
      old_str: "x = 2",
      new_str: "",
    }).catch((e: unknown) => e);
    const many = await run({
      command: "str_replace",
      path: "dup.txt",
      old_str: "x = 1",
      new_str: "",
    }).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(ToolInputError);
    expect(many).toBeInstanceOf(ToolInputError);
    expect((none as Error).message).toMatch(/does not appear verbatim/);
    expect((many as Error).message).toMatch(/appears 3 times .* at lines 1, 3, 5/);
    expect(file("dup.txt")).toBe("x = 1\ny\nx = 1\nz\nx = 1\n");
  });
});

describe("insert", () => {
  it("inserts after a line, with insert_line as a number or a string", async () => {
    await run({
      command: "insert",
      path: "src/a.ts",
      insert_line: 1,
      insert_text: "one and a half\n",
    });
    await run({ command: "insert", path: "src/a.ts", insert_line: "0", insert_text: "zero" });
    expect(file("src/a.ts")).toBe("zero\none\none and a half\ntwo\nthree\n");
  });

  it("accepts new_str in place of insert_text, at the end of the file", async () => {
    await run({ command: "insert", path: "src/a.ts", insert_line: 3, new_str: "four" });
    expect(file("src/a.ts")).toBe("one\ntwo\nthree\nfour\n");
  });

  it("refuses a line past the end", async () => {
    await expect(
      run({ command: "insert", path: "src/a.ts", insert_line: 9, insert_text: "x" }),
    ).rejects.toThrow(/between 0 .* and 3/);
  });
});

describe("the workspace boundary", () => {
  it.each([["../outside/secret.txt"], ["/etc/passwd"], ["src/../../outside/secret.txt"]])(
    "refuses %s",
    async (path) => {
      const error = await run({ command: "view", path }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PathOutsideWorkspaceError);
      expect((error as Error).message).toContain("outside the workspace");
      expect((error as Error).message).toContain(root);
    },
  );

  it("refuses a symlink that points outside, for reading and for writing", async () => {
    symlinkSync(join(outside, "secret.txt"), join(root, "link.txt"));
    symlinkSync(outside, join(root, "linkdir"));
    symlinkSync(join(outside, "not-yet.txt"), join(root, "dangling.txt"));
    await expect(run({ command: "view", path: "link.txt" })).rejects.toThrow(
      PathOutsideWorkspaceError,
    );
    await expect(
      run({ command: "create", path: "linkdir/new.txt", file_text: "x" }),
    ).rejects.toThrow(PathOutsideWorkspaceError);
    await expect(run({ command: "create", path: "dangling.txt", file_text: "x" })).rejects.toThrow(
      PathOutsideWorkspaceError,
    );
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("secret\n");
  });

  it("follows a symlink that stays inside, to a file or a folder, absolute or relative", async () => {
    symlinkSync(join(root, "src", "a.ts"), join(root, "alias.ts"));
    symlinkSync("src", join(root, "code"));
    expect(await run({ command: "view", path: "alias.ts" })).toContain("     1\tone\n");
    expect(await run({ command: "view", path: "code/deep/../a.ts" })).toContain("     2\ttwo\n");
    await run({ command: "str_replace", path: "code/a.ts", old_str: "two", new_str: "2" });
    await run({ command: "str_replace", path: "alias.ts", old_str: "one", new_str: "1" });
    expect(file("src/a.ts")).toBe("1\n2\nthree\n");
    expect(await run({ command: "view", path: "code" })).toContain(`${root}/code/deep/\n`);
  });

  it("refuses .git, however it is reached", async () => {
    await expect(run({ command: "view", path: ".git/config" })).rejects.toThrow(/\.git directory/);
    await expect(
      run({ command: "create", path: "src/../.git/hooks/pre-push", file_text: "x" }),
    ).rejects.toThrow(PathOutsideWorkspaceError);
    symlinkSync(join(root, ".git"), join(root, "g"));
    await expect(run({ command: "view", path: "g/config" })).rejects.toThrow(
      PathOutsideWorkspaceError,
    );
  });
});

describe("editorInputSchema", () => {
  it("rejects an unknown command and a missing path", () => {
    expect(editorInputSchema.safeParse({ command: "undo_edit", path: "x" }).success).toBe(false);
    expect(editorInputSchema.safeParse({ command: "view" }).success).toBe(false);
  });
});
