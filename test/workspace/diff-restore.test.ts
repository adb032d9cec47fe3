// The working diff as bytes and back, with real git: what a step checkpoint
// stores is exactly what a resume on another machine gets, and taking it
// touches neither the index nor the branch.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { applyDiff, workingDiffBytes as workingDiff } from "../../src/workspace/diff.ts";
import { bareRepository, fixtureGit, removeTempDirs, tempDir } from "./helpers.ts";

afterEach(removeTempDirs);

function clone(url: string): string {
  const dir = join(tempDir(), "work");
  fixtureGit(tempDir(), "clone", "--quiet", url, dir);
  return dir;
}

describe("the working diff", () => {
  it("carries edits, deletions, new untracked and binary files and modes to a fresh clone", async () => {
    const { url } = bareRepository();
    const work = clone(url);
    const base = fixtureGit(work, "rev-parse", "HEAD").trim();
    writeFileSync(join(work, "src/a.txt"), "two\n");
    execFileSync("rm", [join(work, "README.md")]);
    writeFileSync(join(work, "notes.md"), "untracked\n");
    const binary = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13, 0x80, 0x81]);
    writeFileSync(join(work, "blob.bin"), binary);
    writeFileSync(join(work, "run.sh"), "#!/bin/sh\necho hi\n");
    chmodSync(join(work, "run.sh"), 0o755);
    writeFileSync(join(work, ".gitignore"), "build/\n");
    execFileSync("mkdir", ["-p", join(work, "build")]);
    writeFileSync(join(work, "build/out.o"), "ignored\n");
    const statusBefore = fixtureGit(work, "status", "--porcelain");
    const headBefore = fixtureGit(work, "rev-parse", "HEAD");

    const diff = await workingDiff(work, base);

    // Nothing about the worktree's own git state changed.
    expect(fixtureGit(work, "status", "--porcelain")).toBe(statusBefore);
    expect(fixtureGit(work, "rev-parse", "HEAD")).toBe(headBefore);

    const other = clone(url);
    await applyDiff(other, diff);
    expect(readFileSync(join(other, "src/a.txt"), "utf8")).toBe("two\n");
    expect(existsSync(join(other, "README.md"))).toBe(false);
    expect(readFileSync(join(other, "notes.md"), "utf8")).toBe("untracked\n");
    expect(readFileSync(join(other, "blob.bin")).equals(binary)).toBe(true);
    expect(statSync(join(other, "run.sh")).mode & 0o111).not.toBe(0);
    expect(existsSync(join(other, "build/out.o"))).toBe(false);
    // The restored worktree is the same: same diff against the same base, same status.
    expect((await workingDiff(other, base)).equals(diff)).toBe(true);
    expect(fixtureGit(other, "status", "--porcelain")).toBe(statusBefore);
  });

  it("is empty for an unchanged tree, and applying nothing changes nothing", async () => {
    const { url } = bareRepository();
    const work = clone(url);
    const diff = await workingDiff(work, fixtureGit(work, "rev-parse", "HEAD").trim());
    expect(diff.length).toBe(0);
    await applyDiff(work, diff);
    expect(fixtureGit(work, "status", "--porcelain")).toBe("");
  });

  it("is taken against the base, counting commits made since then", async () => {
    const { url } = bareRepository();
    const work = clone(url);
    const base = fixtureGit(work, "rev-parse", "HEAD").trim();
    writeFileSync(join(work, "committed.txt"), "c\n");
    fixtureGit(work, "add", "committed.txt");
    fixtureGit(work, "commit", "--quiet", "-m", "local");
    writeFileSync(join(work, "loose.txt"), "l\n");
    const other = clone(url);
    await applyDiff(other, await workingDiff(work, base));
    expect(readFileSync(join(other, "committed.txt"), "utf8")).toBe("c\n");
    expect(readFileSync(join(other, "loose.txt"), "utf8")).toBe("l\n");
  });
});
