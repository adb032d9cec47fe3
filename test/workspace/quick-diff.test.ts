// The working diff written without git for a step that changed a few files
// (workspace/quick-diff.ts): whatever the changes, the checkpoint's bytes
// applied to the base give the working tree back, file for file and mode for
// mode; a step that edited files in watched folders starts no git process;
// what git must decide (links, binaries, attributes, settings) is still git's.
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from "node:fs";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { applyDiff, workingDiff } from "../../src/workspace/diff.ts";
import { WorkingTree } from "../../src/workspace/working-tree.ts";
import { fixtureGit, removeTempDirs, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);
const open: WorkingTree[] = [];
afterEach(async () => {
  for (const tree of open.splice(0)) await tree.close();
});

/** Every git process started from here on is counted: a `git` first on PATH that notes itself. */
let gitLog = "";
const realPath = process.env.PATH;
beforeAll(() => {
  const shim = tempDir("stamina-git-shim-");
  gitLog = join(shim, "log");
  writeFileSync(
    join(shim, "git"),
    `#!/bin/sh\necho "$1 $2" >> ${gitLog}\nexec /usr/bin/git "$@"\n`,
  );
  chmodSync(join(shim, "git"), 0o755);
  process.env.PATH = `${shim}:${realPath ?? "/usr/bin:/bin"}`;
});
afterAll(() => {
  process.env.PATH = realPath;
});

async function gitCount(): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  return (await readFile(gitLog, "utf8").catch(() => "")).split("\n").length - 1;
}

function repo(): { dir: string; base: string } {
  const dir = tempDir("stamina-quick-");
  for (let f = 0; f < 3; f++) {
    mkdirSync(join(dir, `d${f}`, "inner"), { recursive: true });
    for (let i = 0; i < 4; i++) {
      const lines = Array.from({ length: 30 }, (_, n) => `line ${n} of d${f}/f${i}`);
      writeFileSync(join(dir, `d${f}`, `f${i}.txt`), `${lines.join("\n")}\n`);
    }
    writeFileSync(join(dir, `d${f}`, "inner", "deep.txt"), `deep ${f}\n`);
  }
  writeFileSync(join(dir, "crlf.txt"), "one\r\ntwo\r\nthree\r\n");
  writeFileSync(join(dir, "no-eol.txt"), "no newline at the end");
  writeFileSync(join(dir, ".gitignore"), "*.log\n");
  fixtureGit(dir, "init", "--quiet");
  fixtureGit(dir, "add", "--all");
  fixtureGit(dir, "commit", "--quiet", "-m", "base");
  return { dir, base: fixtureGit(dir, "rev-parse", "HEAD").trim() };
}

async function watched(dir: string): Promise<WorkingTree> {
  const tree = await WorkingTree.open(dir);
  open.push(tree);
  return tree;
}

/** The base checked out afresh in `copy`, with `diff` applied: the working tree, if it is right. */
async function restored(copy: string, base: string, diff: Buffer): Promise<string> {
  fixtureGit(copy, "checkout", "--quiet", "--force", base);
  fixtureGit(copy, "clean", "-fdxq");
  await applyDiff(copy, diff);
  return workingDiff(copy, base);
}

function random(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state >>> 8) % n;
  };
}

describe("the working diff without git", () => {
  it("gives back the working tree after every step of a random sequence", async () => {
    const { dir, base } = repo();
    const copy = tempDir("stamina-quick-copy-");
    fixtureGit(copy, "clone", "--quiet", dir, ".");
    const tree = await watched(dir);
    await tree.diffBytes(base);
    const pick = random(7);
    const file = () => join(dir, `d${pick(3)}`, `f${pick(5)}.txt`);
    const ops: ((step: number) => void | Promise<void>)[] = [
      (s) => writeFile(file(), `rewritten ${s}\n`),
      (s) => appendFileSync(file(), `appended ${s}\n`),
      (s) => writeFile(file(), `line 0\nchanged ${s} in the middle\nline 2\n`),
      () => chmod(file(), pick(2) === 0 ? 0o755 : 0o644),
      () => rmSync(file(), { force: true }),
      (s) => writeFile(join(dir, `d${pick(3)}`, `new${s}.txt`), `made ${s}\n`),
      (s) => writeFile(join(dir, `d${pick(3)}`, `empty${s}.txt`), ""),
      (s) => writeFile(join(dir, `d${pick(3)}`, `noise${s}.log`), "ignored\n"),
      (s) => writeFile(join(dir, "crlf.txt"), `one\r\nstep ${s}\r\nthree\r\n`),
      (s) => writeFile(join(dir, "no-eol.txt"), `still no newline ${s}`),
      (s) => writeFile(join(dir, "no-eol.txt"), `now a newline ${s}\n`),
      (s) => writeFile(join(dir, `d${pick(3)}`, `bin${s}.dat`), Buffer.from([1, 0, 2, s % 256])),
      (s) => symlinkSync(`f${pick(4)}.txt`, join(dir, `d${pick(3)}`, `link${s}`)),
      (s) => {
        mkdirSync(join(dir, `made${s}`));
        writeFileSync(join(dir, `made${s}`, "x.txt"), `in a new folder ${s}\n`);
      },
      () => rmSync(join(dir, `d${pick(3)}`, "inner"), { recursive: true, force: true }),
      () => undefined,
    ];
    for (let step = 0; step < 30; step++) {
      try {
        await ops[pick(ops.length)]?.(step);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "EEXIST") throw error;
      }
      // Twice in a row, as the watchdog and the checkpoint ask after a step.
      const { bytes } = await tree.diffBytes(base);
      expect((await tree.diffBytes(base)).bytes).toBe(bytes);
      const expected = await workingDiff(dir, base);
      expect(await restored(copy, base, bytes), `after step ${step}`).toBe(expected);
      // git's own diff of the scratch index agrees, once what was read without it is staged.
      if (step % 5 === 4) expect(await tree.diff(base), `git's, after step ${step}`).toBe(expected);
    }
    expect(tree.looks.quick).toBeGreaterThan(8);
  }, 180_000);

  it("starts no git process for a step that edited and made files in watched folders", async () => {
    const { dir, base } = repo();
    const tree = await watched(dir);
    await tree.diffBytes(base);
    // The first quick look starts the two git processes kept running (cat-file, check-ignore).
    writeFileSync(join(dir, "d0", "f1.txt"), "first edit\n");
    writeFileSync(join(dir, "d0", "first-note.txt"), "first note\n");
    await tree.diffBytes(base);
    const before = await gitCount();
    for (let step = 0; step < 5; step++) {
      writeFileSync(join(dir, "d1", "f2.txt"), `edit ${step}\n`);
      writeFileSync(join(dir, "d2", `note${step}.txt`), `note ${step}\n`);
      const { bytes } = await tree.diffBytes(base);
      expect(bytes.toString()).toContain(`+edit ${step}`);
      expect(bytes.toString()).toContain(`+++ b/d2/note${step}.txt`);
    }
    expect(await gitCount()).toBe(before);
    expect(tree.looks.quick).toBe(6);
  });

  it("leaves to git what git must decide: attributes, settings, links", async () => {
    const { dir, base } = repo();
    const tree = await watched(dir);
    await tree.diffBytes(base);
    writeFileSync(join(dir, "d0", ".gitattributes"), "*.txt text eol=crlf\n");
    writeFileSync(join(dir, "d0", "f0.txt"), "with attributes\n");
    expect((await tree.diffBytes(base)).bytes.toString()).toBe(
      await workingDiff(dir, base, { binary: true }),
    );
    writeFileSync(join(dir, "d0", "f1.txt"), "under attributes\n");
    const quick = tree.looks.quick;
    expect((await tree.diffBytes(base)).bytes.toString()).toBe(
      await workingDiff(dir, base, { binary: true }),
    );
    expect(tree.looks.quick).toBe(quick);
    fixtureGit(dir, "config", "core.autocrlf", "true");
    writeFileSync(join(dir, "d1", "f1.txt"), "with autocrlf\r\n");
    await tree.diffBytes(base);
    writeFileSync(join(dir, "d1", "f2.txt"), "with autocrlf too\r\n");
    expect((await tree.diffBytes(base)).bytes.toString()).toBe(
      await workingDiff(dir, base, { binary: true }),
    );
    expect(tree.looks.quick).toBe(quick);
  });
});
