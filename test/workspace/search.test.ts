// Searching the worktree with ripgrep and with the git grep fallback: the
// same answers, confinement to the worktree, no option injection, a bound.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PathOutsideWorkspaceError } from "../../src/workspace/paths.ts";
import { createSearcher, type SearchRequest } from "../../src/workspace/search.ts";
import { fixtureGit, removeTempDirs, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

function worktree(): string {
  const root = tempDir("stamina-search-");
  const dir = join(root, "worktree");
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "src/a.ts"), "const alpha = 1;\nconst Alpha = 2;\n");
  writeFileSync(join(dir, "src/b.py"), "alpha = 3\n");
  writeFileSync(join(dir, "-e"), "a file named like an option, with alpha\n");
  writeFileSync(join(dir, "many.txt"), "alpha\n".repeat(5_000));
  fixtureGit(dir, "init", "--quiet");
  fixtureGit(dir, "add", "src/a.ts");
  // Outside the worktree, reachable only through a symlink.
  writeFileSync(join(root, "secret.txt"), "alpha outside\n");
  symlinkSync(root, join(dir, "up"));
  return dir;
}

const base: SearchRequest = {
  pattern: "alpha",
  ignoreCase: false,
  fixedStrings: false,
  maxResults: 100,
};

describe.each([
  ["ripgrep", undefined],
  ["git grep", null],
] as const)("search with %s", (engine, ripgrep) => {
  it("answers path:line:text relative to the worktree, within a path and a glob", async () => {
    const dir = worktree();
    const searcher = createSearcher({ worktree: dir, ripgrep });
    expect(searcher.engine).toBe(engine);
    const inSrc = await searcher.search({ ...base, path: "src" });
    expect(inSrc.matches.sort()).toEqual(["src/a.ts:1:const alpha = 1;", "src/b.py:1:alpha = 3"]);
    const globbed = await searcher.search({ ...base, glob: "*.ts", ignoreCase: true });
    expect(globbed.matches.sort()).toEqual([
      "src/a.ts:1:const alpha = 1;",
      "src/a.ts:2:const Alpha = 2;",
    ]);
    // The pattern is never an option, and a file named like one is just a file.
    const dashed = await searcher.search({ ...base, pattern: "--version", fixedStrings: true });
    expect(dashed).toMatchObject({ matches: [], error: null });
  });

  it("stops at maxResults and says so", async () => {
    const dir = worktree();
    const result = await createSearcher({ worktree: dir, ripgrep }).search({
      ...base,
      path: "many.txt",
      maxResults: 10,
    });
    expect(result.matches).toHaveLength(10);
    expect(result.truncated).toBe(true);
  });

  it("refuses a path that leads out of the worktree, and never follows a symlink out", async () => {
    const dir = worktree();
    const searcher = createSearcher({ worktree: dir, ripgrep });
    await expect(searcher.search({ ...base, path: "../.." })).rejects.toThrow(
      PathOutsideWorkspaceError,
    );
    await expect(searcher.search({ ...base, path: "up/secret.txt" })).rejects.toThrow(
      PathOutsideWorkspaceError,
    );
    const all = await searcher.search(base);
    expect(all.matches.join("\n")).not.toContain("outside");
  });

  it("reports a bad regular expression as an error", async () => {
    const result = await createSearcher({ worktree: worktree(), ripgrep }).search({
      ...base,
      pattern: "(unclosed",
    });
    expect(result.matches).toEqual([]);
    expect(result.error).toMatch(/\S/);
  });
});
