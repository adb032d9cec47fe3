// Git over a worktree that holds repositories of its own: their config (a
// clean filter here) must never run in the harness, whether the nested
// repository is untracked, already a gitlink, hidden in a new folder or named
// like a pathspec pattern. Each trap touches a marker file when it runs.
import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { workingDiff, workingDiffBytes } from "../../src/workspace/diff.ts";
import { commitAll, diffStat } from "../../src/workspace/git.ts";
import { guardWorktree } from "../../src/workspace/worktree-guard.ts";
import { fixtureGit, removeTempDirs, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

const author = { name: "Stamina", email: "stamina@example.com" };

/** A worktree with one commit, and a trap: a repository at `path` whose clean filter marks. */
function trapped(path: string): { dir: string; marker: string } {
  const root = tempDir("stamina-guard-");
  const dir = join(root, "worktree");
  const marker = join(root, "MARKER");
  mkdirSync(dir);
  fixtureGit(dir, "init", "--quiet", "--initial-branch=main");
  writeFileSync(join(dir, "README.md"), "hello\n");
  fixtureGit(dir, "add", "--all");
  fixtureGit(dir, "commit", "--quiet", "-m", "initial");
  const nested = join(dir, path);
  mkdirSync(nested, { recursive: true });
  fixtureGit(nested, "init", "--quiet");
  writeFileSync(join(nested, ".gitattributes"), "* filter=evil\n");
  writeFileSync(join(nested, "f.txt"), "inside\n");
  fixtureGit(nested, "add", "--all");
  fixtureGit(nested, "commit", "--quiet", "-m", "nested");
  fixtureGit(nested, "config", "filter.evil.clean", `touch ${marker}; cat`);
  return { dir, marker };
}

/** Same size, a new time: git must hash the file again, which is when a clean filter runs. */
function touchLater(file: string): void {
  const later = new Date(Date.now() + 5_000);
  utimesSync(file, later, later);
}

describe("guardWorktree", () => {
  it("finds an untracked nested repository, and one inside a new folder", async () => {
    const { dir } = trapped("vendor/lib");
    mkdirSync(join(dir, "plain"));
    writeFileSync(join(dir, "plain", "x.txt"), "x\n");
    const guarded = await guardWorktree(dir);
    expect(guarded.nested).toEqual(["vendor/lib"]);
    expect(guarded.pathspec).toEqual([".", ":(top,literal,exclude)vendor/lib"]);
  });

  it("finds a gitlink whose folder holds a repository, and ignores one left empty (a submodule not checked out)", async () => {
    const { dir } = trapped("sub");
    // Recorded as a gitlink, as a `git add` before the guard existed would have done.
    fixtureGit(dir, "add", "sub");
    fixtureGit(dir, "commit", "--quiet", "-m", "gitlink");
    fixtureGit(dir, "update-index", "--add", "--cacheinfo", `160000,${"a".repeat(40)},empty`);
    mkdirSync(join(dir, "empty"));
    expect((await guardWorktree(dir)).nested).toEqual(["sub"]);
  });
});

describe("harness git over a worktree with a nested repository", () => {
  for (const tracked of [false, true]) {
    const how = tracked ? "already a gitlink" : "untracked";
    it(`never runs its clean filter (${how}) and leaves it out of diffs and commits`, async () => {
      const { dir, marker } = trapped("deep/we*ird [x]");
      if (tracked) {
        fixtureGit(dir, "add", "deep");
        fixtureGit(dir, "commit", "--quiet", "-m", "gitlink");
        expect(existsSync(marker)).toBe(false);
      }
      writeFileSync(join(dir, "new.txt"), "new\n");
      const base = fixtureGit(dir, "rev-parse", "HEAD").trim();
      const told: string[][] = [];
      const onLeftOut = (paths: string[]) => void told.push(paths);
      for (const run of [
        () => workingDiffBytes(dir, base, { onLeftOut }),
        () => workingDiff(dir, base, { stat: true, onLeftOut }),
        () => diffStat(dir, base),
        () => commitAll(dir, { message: "work", author, onLeftOut }),
      ]) {
        touchLater(join(dir, "deep/we*ird [x]/f.txt"));
        await run();
        expect(existsSync(marker)).toBe(false);
      }
      expect(told).toHaveLength(3);
      expect(told.every((paths) => paths.join() === "deep/we*ird [x]")).toBe(true);
      const committed = fixtureGit(dir, "show", "--name-only", "--format=", "HEAD").trim();
      expect(committed).toBe("new.txt");
    });
  }

  it("a .gitattributes driver without config in the repository runs nothing", async () => {
    const { dir, marker } = trapped("x");
    writeFileSync(join(dir, ".gitattributes"), "* filter=evil diff=evil merge=evil\n");
    writeFileSync(join(dir, "README.md"), "changed\n");
    const base = fixtureGit(dir, "rev-parse", "HEAD").trim();
    const diff = await workingDiff(dir, base);
    expect(diff).toContain("+changed");
    await commitAll(dir, { message: "work", author });
    expect(existsSync(marker)).toBe(false);
  });
});
