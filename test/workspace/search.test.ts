// Searching the worktree, with ripgrep and with GNU grep where it is missing,
// each as a command of the run in its sandbox: answers relative to the
// worktree, confinement to it (also while a folder is swapped for a symlink),
// FIFOs that block nothing, no option injection, a bound. The grep cases need
// only bubblewrap; the ripgrep cases need ripgrep too. Where one is missing
// its cases are skipped with the reason in their title, except in CI, where
// they fail with it (test/support/machine.ts).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PathOutsideWorkspaceError, ToolInputError } from "../../src/workspace/files.ts";
import { commandEnvironment, createSandbox, probeSandbox } from "../../src/sandbox/sandbox.ts";
import { createSearcher, type SearchRequest } from "../../src/workspace/search.ts";
import { bubblewrapMissing, machineNeed, ripgrepMissing } from "../support/machine.ts";
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

const noBubblewrap = bubblewrapMissing(probeSandbox());
const needs = {
  grep: machineNeed(noBubblewrap),
  ripgrep: machineNeed(noBubblewrap, ripgrepMissing()),
};
const sandbox = noBubblewrap === null ? createSandbox({ kind: "bubblewrap" }) : null;
let engine: "ripgrep" | "grep" = "ripgrep";

/** A searcher on `dir` as a run has it: in the sandbox, with the run's environment. */
function searcherOn(dir: string) {
  const run = join(dir, "..", "run");
  return createSearcher({
    worktree: dir,
    sandbox: sandbox!,
    env: commandEnvironment({ home: join(run, "home"), tmpdir: join(run, "tmp") }),
    outputDir: join(run, "outputs"),
    ...(engine === "grep" ? { ripgrep: null } : {}),
  });
}

const base: SearchRequest = {
  pattern: "alpha",
  ignoreCase: false,
  fixedStrings: false,
  maxResults: 100,
};

for (const kind of ["ripgrep", "grep"] as const) {
  describe.skipIf(needs[kind].skip)(needs[kind].title(`search with ${kind}`), () => {
    beforeAll(() => {
      needs[kind].ensure();
      engine = kind;
    });

    it("answers path:line:text relative to the worktree, within a path and a glob", async () => {
      const dir = worktree();
      const searcher = searcherOn(dir);
      expect(searcher.engine).toBe(kind);
      const inSrc = await searcher.search({ ...base, path: "src" });
      expect(inSrc.matches.sort()).toEqual(["src/a.ts:1:const alpha = 1;", "src/b.py:1:alpha = 3"]);
      const globbed = await searcher.search({ ...base, glob: "*.ts", ignoreCase: true });
      expect(globbed.matches.sort()).toEqual([
        "src/a.ts:1:const alpha = 1;",
        "src/a.ts:2:const Alpha = 2;",
      ]);
      // A glob with a slash is matched against the path from the worktree, wherever the search starts.
      const byPath = await searcher.search({ ...base, path: "src", glob: "src/**/*.{py,rb}" });
      expect(byPath.matches).toEqual(["src/b.py:1:alpha = 3"]);
      const file = await searcher.search({ ...base, path: `${dir}/src/b.py` });
      expect(file.matches).toEqual(["src/b.py:1:alpha = 3"]);
      // The pattern is never an option, and a file named like one is just a file.
      const dashed = await searcher.search({ ...base, pattern: "--version", fixedStrings: true });
      expect(dashed).toMatchObject({ matches: [], error: null });
      const perl = await searcher.search({ ...base, pattern: String.raw`^alpha = \d$` });
      expect(perl.matches).toEqual(["src/b.py:1:alpha = 3"]);
    });

    it(
      kind === "ripgrep"
        ? "leaves out what .gitignore leaves out, unless it is named"
        : "leaves out .git and node_modules, but reads no .gitignore",
      async () => {
        const dir = worktree();
        mkdirSync(join(dir, "dist"));
        writeFileSync(join(dir, "dist", "bundle.js"), "alpha built\n");
        writeFileSync(join(dir, ".gitignore"), "dist/\n");
        mkdirSync(join(dir, "node_modules", "m"), { recursive: true });
        writeFileSync(join(dir, "node_modules", "m", "i.js"), "alpha vendored\n");
        writeFileSync(join(dir, ".git", "alpha-note"), "alpha in git\n");
        const searcher = searcherOn(dir);
        const all = (await searcher.search(base)).matches.join("\n");
        expect(all).not.toContain("in git");
        if (kind === "ripgrep") {
          expect(all).not.toContain("built");
        } else {
          expect(all).not.toContain("vendored");
          expect(all).toContain("dist/bundle.js:1:alpha built");
        }
        expect((await searcher.search({ ...base, path: "dist" })).matches).toEqual([
          "dist/bundle.js:1:alpha built",
        ]);
      },
    );

    it("stops at maxResults and says so", async () => {
      const dir = worktree();
      const result = await searcherOn(dir).search({
        ...base,
        path: "many.txt",
        maxResults: 10,
      });
      expect(result.matches).toHaveLength(10);
      expect(result.truncated).toBe(true);
    });

    it("refuses a path that leads out of the worktree, and never follows a symlink out", async () => {
      const dir = worktree();
      const searcher = searcherOn(dir);
      await expect(searcher.search({ ...base, path: "../.." })).rejects.toThrow(
        PathOutsideWorkspaceError,
      );
      await expect(searcher.search({ ...base, path: "up/secret.txt" })).rejects.toThrow(
        PathOutsideWorkspaceError,
      );
      await expect(searcher.search({ ...base, path: "up" })).rejects.toThrow(
        PathOutsideWorkspaceError,
      );
      const all = await searcher.search(base);
      expect(all.matches.join("\n")).not.toContain("outside");
    });

    it("searches a folder through a symlink inside, naming the files where they are", async () => {
      const dir = worktree();
      symlinkSync("src", join(dir, "code"));
      const result = await searcherOn(dir).search({ ...base, path: "code" });
      expect(result.matches.sort()).toEqual([
        "src/a.ts:1:const alpha = 1;",
        "src/b.py:1:alpha = 3",
      ]);
    });

    it("skips a FIFO inside a folder and refuses one as the target, without blocking", async () => {
      const dir = worktree();
      execFileSync("mkfifo", [join(dir, "src", "pipe")]);
      const searcher = searcherOn(dir);
      expect((await searcher.search({ ...base, path: "src" })).matches).toHaveLength(2);
      await expect(searcher.search({ ...base, path: "src/pipe" })).rejects.toThrow(
        /not a regular file \(a FIFO\)/,
      );
      await expect(searcher.search({ ...base, path: "nowhere" })).rejects.toThrow(ToolInputError);
    });

    it("never shows what is behind a folder swapped for a symlink to outside meanwhile", async () => {
      const dir = worktree();
      const outside = join(dir, "..", "out");
      mkdirSync(outside);
      writeFileSync(join(outside, "f"), "alpha SECRET\n");
      const loop = `while true; do rm -rf d; mkdir d; echo alpha > d/f; rm -rf d; ln -s '${outside}' d; done`;
      const flipper = spawn("bash", ["-c", loop], { cwd: dir, stdio: "ignore" });
      const searcher = searcherOn(dir);
      let seen = "";
      try {
        for (let i = 0; i < 300; i++) {
          const path = ["d", "d/f", undefined][i % 3];
          seen += await searcher.search({ ...base, path }).then(
            (result) => result.matches.join("\n"),
            (error: unknown) => String(error),
          );
        }
      } finally {
        flipper.kill("SIGKILL");
      }
      expect(seen).not.toContain("SECRET");
      expect(seen).toContain("d/f:1:alpha");
      // 300 sandboxed searches: on a busy two-core machine they take most of a minute.
    }, 120_000);

    it("reports a bad regular expression as an error", async () => {
      const result = await searcherOn(worktree()).search({
        ...base,
        pattern: "(unclosed",
      });
      expect(result.matches).toEqual([]);
      expect(result.error).toMatch(/\S/);
    });
  });
}
