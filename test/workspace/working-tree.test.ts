// The watched working tree: after any sequence of changes, by the editor or
// by a process the harness does not know about, its diff is the one a full
// look gives; a look after nothing changed runs no git; what cannot be
// watched is looked at in full; a diff past the cap is refused unread.
import { spawn } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  existsSync,
  readFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { workingDiff } from "../../src/workspace/diff.ts";
import { DiffTooLarge, WorkingTree } from "../../src/workspace/working-tree.ts";
import { fixtureGit, removeTempDirs, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);
const open: WorkingTree[] = [];
afterEach(async () => {
  for (const tree of open.splice(0)) await tree.close();
});

function repo(folders = 4): { dir: string; base: string } {
  const dir = tempDir("stamina-tree-");
  for (let f = 0; f < folders; f++) {
    mkdirSync(join(dir, `d${f}`, "inner"), { recursive: true });
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, `d${f}`, `f${i}.txt`), `${f}.${i}\n`);
    writeFileSync(join(dir, `d${f}`, "inner", "deep.txt"), `deep ${f}\n`);
  }
  writeFileSync(join(dir, "top.txt"), "top\n");
  writeFileSync(join(dir, ".gitignore"), "*.log\nbuild/\n");
  fixtureGit(dir, "init", "--quiet");
  fixtureGit(dir, "add", "--all");
  fixtureGit(dir, "commit", "--quiet", "-m", "base");
  return { dir, base: fixtureGit(dir, "rev-parse", "HEAD").trim() };
}

async function watched(dir: string, options = {}): Promise<WorkingTree> {
  const tree = await WorkingTree.open(dir, options);
  open.push(tree);
  return tree;
}

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state >>> 8) % n;
  };
}

describe("WorkingTree", () => {
  it("gives the full look's diff after every step of a random sequence of changes", async () => {
    const { dir, base } = repo();
    const tree = await watched(dir);
    const pick = random(29);
    // Writes make their folder again when an earlier step removed or moved it.
    const write = (path: string, text: string) => {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    const ops: ((step: number) => void)[] = [
      (s) => write(`d${pick(4)}/f${pick(5)}.txt`, `edited ${s}\n`),
      (s) => write(`d${pick(4)}/new${s}.txt`, `made ${s}\n`),
      // Content and mode changes to files that are there: no file comes or goes.
      (s) => appendFileSync(join(dir, `d${pick(4)}`, `f${pick(5)}.txt`), `appended ${s}\n`),
      (s) => appendFileSync(join(dir, `d${pick(4)}`, "inner", "deep.txt"), `deeper ${s}\n`),
      () => chmodSync(join(dir, `d${pick(4)}`, `f${pick(5)}.txt`), 0o755),
      () => rmSync(join(dir, `d${pick(4)}`, `f${pick(5)}.txt`), { force: true }),
      (s) => write(`d${pick(4)}/inner/deep.txt`, `deep ${s}\n`),
      (s) => {
        mkdirSync(join(dir, `made${s}`, "a", "b"), { recursive: true });
        writeFileSync(join(dir, `made${s}`, "a", "b", "x.txt"), `nested new ${s}\n`);
      },
      () => rmSync(join(dir, `d${pick(4)}`, "inner"), { recursive: true, force: true }),
      (s) => {
        const from = join(dir, `d${pick(4)}`);
        if (existsSync(from)) renameSync(from, join(dir, `moved${s}`));
      },
      (s) => write(`d${pick(4)}/noise${s}.log`, "ignored\n"),
      (s) => {
        mkdirSync(join(dir, "build", `out${s}`), { recursive: true });
        writeFileSync(join(dir, "build", `out${s}`, "bin"), "ignored too\n");
      },
      () => undefined,
    ];
    for (let step = 0; step < 50; step++) {
      try {
        ops[pick(ops.length)]?.(step);
      } catch (error) {
        // A folder an earlier step removed: the step changes nothing.
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
      expect(await tree.diff(base), `after step ${step}`).toBe(await workingDiff(dir, base));
    }
    expect(tree.watched).toBe(true);
    // Most steps were answered by staging only what changed (the others changed nothing).
    expect(tree.looks.narrow).toBeGreaterThan(20);
    expect(tree.looks.full).toBe(1);
  });

  it("runs no git for a look after nothing changed, and stages only what did", async () => {
    const { dir, base } = repo();
    const tree = await watched(dir);
    const first = await tree.diff(base);
    expect(first).toBe("");
    expect(tree.looks).toEqual({ quiet: 0, quick: 0, narrow: 0, full: 1 });
    await tree.diff(base);
    await tree.diff(base, { stat: true });
    expect(tree.looks).toEqual({ quiet: 2, quick: 0, narrow: 0, full: 1 });
    writeFileSync(join(dir, "d1", "f1.txt"), "changed\n");
    expect(await tree.diff(base)).toContain("+changed");
    expect(tree.looks).toEqual({ quiet: 2, quick: 0, narrow: 1, full: 1 });
  });

  it("takes looks asked for at once in turn, each with the same answer", async () => {
    const { dir, base } = repo();
    const tree = await watched(dir);
    writeFileSync(join(dir, "d0", "f0.txt"), "at once\n");
    const [text, bytes, stat] = await Promise.all([
      tree.diff(base),
      tree.diffBytes(base),
      tree.diff(base, { stat: true }),
    ]);
    expect(text).toContain("+at once");
    expect(bytes.bytes.toString()).toContain("+at once");
    expect(stat).toMatch(/1 file changed/);
    // The watchdog's look and the checkpoint's, after one step: one diff, taken once.
    expect((await tree.diffBytes(base)).bytes).toBe(bytes.bytes);
  });

  it("sees a change a background process made between two looks", async () => {
    const { dir, base } = repo();
    const tree = await watched(dir);
    expect(await tree.diff(base)).toBe("");
    // Started now, writing after the look, finished before the next one.
    const late = spawn(
      "sh",
      ["-c", "sleep 0.3; echo late > d2/f3.txt; mkdir -p d3/bg; echo bg > d3/bg/b.txt"],
      {
        cwd: dir,
      },
    );
    await new Promise((resolve) => late.on("exit", resolve));
    const diff = await tree.diff(base);
    expect(diff).toContain("+late");
    expect(diff).toContain("+++ b/d3/bg/b.txt");
    expect(diff).toBe(await workingDiff(dir, base));
  });

  it("follows the ignore rules when they change, and never a folder swapped for a link", async () => {
    const { dir, base } = repo();
    const outside = tempDir("stamina-tree-outside-");
    writeFileSync(join(outside, "host-secret.txt"), "host\n");
    const tree = await watched(dir);
    writeFileSync(join(dir, "d0", "keep.tmp"), "kept for now\n");
    expect(await tree.diff(base)).toContain("keep.tmp");
    writeFileSync(join(dir, ".gitignore"), "*.log\nbuild/\n*.tmp\n");
    expect(await tree.diff(base)).not.toContain("keep.tmp");
    rmSync(join(dir, "d1"), { recursive: true });
    symlinkSync(outside, join(dir, "d1"));
    const diff = await tree.diff(base);
    expect(diff).toContain("new file mode 120000");
    expect(diff).not.toContain("host-secret");
    expect(diff).toBe(await workingDiff(dir, base));
  });

  it("watches a linked worktree (as the mirror makes them) like a clone, its git folders too", async () => {
    const { dir: main, base } = repo();
    const dir = join(tempDir("stamina-tree-linked-"), "wt");
    fixtureGit(main, "worktree", "add", "--quiet", "--detach", dir, base);
    const tree = await watched(dir);
    expect(await tree.diff(base)).toBe("");
    writeFileSync(join(dir, "d1", "f1.txt"), "edited in the linked worktree\n");
    expect(await tree.diff(base)).toContain("+edited in the linked worktree");
    expect(tree.watched).toBe(true);
    expect(tree.looks).toEqual({ quiet: 0, quick: 0, narrow: 1, full: 1 });
    await tree.diff(base);
    expect(tree.looks.quiet).toBe(1);
    // Its own index (in the common folder's worktrees/) and the common exclude file are watched.
    writeFileSync(join(dir, "d0", "forced.log"), "staged by force\n");
    fixtureGit(dir, "add", "--force", "d0/forced.log");
    expect(await tree.diff(base)).toContain("+++ b/d0/forced.log");
    writeFileSync(join(main, ".git", "info", "exclude"), "*.txt\n");
    writeFileSync(join(dir, "top-new.txt"), "excluded\n");
    expect(await tree.diff(base)).toBe(await workingDiff(dir, base));
    expect(await tree.diff(base)).not.toContain("top-new.txt");
  });

  it("starts again from the real index only when what it tracks by force changes", async () => {
    const { dir, base } = repo();
    const tree = await watched(dir);
    expect(await tree.diff(base)).toBe("");
    writeFileSync(join(dir, "d0", "kept.log"), "staged by force\n");
    expect(await tree.diff(base)).toBe("");
    fixtureGit(dir, "add", "--force", "d0/kept.log");
    expect(await tree.diff(base)).toContain("+++ b/d0/kept.log");
    fixtureGit(dir, "reset", "--quiet");
    expect(await tree.diff(base)).toBe("");
    const full = tree.looks.full;
    // The agent staging an ordinary edit changes nothing the diff holds: no full look for it.
    writeFileSync(join(dir, "d1", "f1.txt"), "staged\n");
    fixtureGit(dir, "add", "d1/f1.txt");
    expect(await tree.diff(base)).toContain("+staged");
    expect(tree.looks.full).toBe(full);
    expect(await tree.diff(base)).toBe(await workingDiff(dir, base));
  });

  it("leaves out a repository nested after the first look, running none of its filters", async () => {
    const { dir, base } = repo();
    const tree = await watched(dir);
    const leftOut: string[][] = [];
    const withNotice = await watched(dir, { onLeftOut: (p: string[]) => void leftOut.push(p) });
    expect(await tree.diff(base)).toBe("");
    expect(await withNotice.diff(base)).toBe("");
    const nested = join(dir, "d2", "vendor");
    mkdirSync(nested);
    fixtureGit(nested, "init", "--quiet");
    const marker = join(dir, "..", `filter-ran-${process.pid}`);
    fixtureGit(nested, "config", "filter.evil.clean", `touch ${marker}; cat`);
    writeFileSync(join(nested, ".gitattributes"), "* filter=evil\n");
    writeFileSync(join(nested, "code.txt"), "nested\n");
    expect(await tree.diff(base)).not.toContain("vendor");
    expect(await withNotice.diff(base)).not.toContain("vendor");
    expect(leftOut).toEqual([["d2/vendor"]]);
    expect(existsSync(marker)).toBe(false);
  });

  it("looks at everything, correctly, when there are more folders than it may watch", async () => {
    const { dir, base } = repo(6);
    const tree = await watched(dir, { maxWatched: 3 });
    expect(await tree.diff(base)).toBe("");
    expect(tree.watched).toBe(false);
    writeFileSync(join(dir, "d5", "inner", "deep.txt"), "seen anyway\n");
    expect(await tree.diff(base)).toContain("+seen anyway");
    await tree.diff(base);
    expect(tree.looks.quiet).toBe(0);
  });

  it("refuses a diff past the cap from its size, and keeps the bytes exact under it", async () => {
    const { dir, base } = repo();
    const tree = await watched(dir);
    const bytes = Buffer.from([0, 255, 254, 1, 2, 3, 0x80]);
    writeFileSync(join(dir, "blob.bin"), bytes);
    writeFileSync(join(dir, "big.txt"), "x".repeat(200_000));
    const error = await tree.diffBytes(base, { maxBytes: 100_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiffTooLarge);
    expect((error as DiffTooLarge).bytes).toBeGreaterThan(200_000);
    rmSync(join(dir, "big.txt"));
    const { bytes: diff } = await tree.diffBytes(base, { maxBytes: 100_000 });
    expect(diff.toString("latin1")).toContain("GIT binary patch");
    expect(readFileSync(join(dir, "blob.bin"))).toEqual(bytes);
  });
});
