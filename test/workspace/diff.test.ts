// The working diff: every change from the base commit, untracked files
// included, ignored ones and the worktree's own index left alone; and an edit
// of the same size in the same second as the checkout is not missed.
import { readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { workingDiff } from "../../src/workspace/diff.ts";
import { fixtureGit, removeTempDirs, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

function repo(): { dir: string; base: string } {
  const dir = tempDir("stamina-diff-");
  writeFileSync(join(dir, "a.txt"), "one\n");
  writeFileSync(join(dir, ".gitignore"), "ignored.txt\n");
  fixtureGit(dir, "init", "--quiet");
  fixtureGit(dir, "add", "--all");
  fixtureGit(dir, "commit", "--quiet", "-m", "base");
  return { dir, base: fixtureGit(dir, "rev-parse", "HEAD").trim() };
}

describe("workingDiff", () => {
  it("holds tracked edits and untracked files, not ignored ones, and leaves the index alone", async () => {
    const { dir, base } = repo();
    writeFileSync(join(dir, "a.txt"), "two\n");
    writeFileSync(join(dir, "new.txt"), "fresh\n");
    writeFileSync(join(dir, "ignored.txt"), "secret\n");
    const index = readFileSync(join(dir, ".git/index"));
    const diff = await workingDiff(dir, base);
    expect(diff).toContain("-one\n+two\n");
    expect(diff).toContain("+++ b/new.txt");
    expect(diff).not.toContain("ignored.txt");
    expect(readFileSync(join(dir, ".git/index"))).toEqual(index);
    expect(fixtureGit(dir, "status", "--porcelain")).toBe(" M a.txt\n?? new.txt\n");
    expect(await workingDiff(dir, base, { stat: true })).toMatch(/2 files changed/);
  });

  it("sees an edit of the same size made in the same second as the index (racy git)", async () => {
    const dir = tempDir("stamina-diff-racy-");
    const second = Math.floor(Date.now() / 1000) - 60;
    const at = (fraction: number) => second + fraction;
    writeFileSync(join(dir, "a.txt"), "one\n");
    utimesSync(join(dir, "a.txt"), at(0.2), at(0.2));
    fixtureGit(dir, "init", "--quiet");
    fixtureGit(dir, "add", "--all");
    fixtureGit(dir, "commit", "--quiet", "-m", "base");
    const base = fixtureGit(dir, "rev-parse", "HEAD").trim();
    // The checkout and the index written in one second; then an edit, same size, same second.
    utimesSync(join(dir, ".git/index"), at(0.5), at(0.5));
    writeFileSync(join(dir, "a.txt"), "two\n");
    utimesSync(join(dir, "a.txt"), at(0.7), at(0.7));
    expect(await workingDiff(dir, base)).toContain("-one\n+two\n");
  });
});
