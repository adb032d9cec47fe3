// The mirror cache on its own, against the fake GitHub: runs of one repository
// at once share one clone (the lock), a released worktree leaves nothing
// behind, and the disk cap evicts idle mirrors least recently used first,
// never one a run works in.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { enforceCacheCap, listMirrors } from "../../src/workspace/cache-cap.ts";
import {
  checkoutFromMirror,
  lastUsedMark,
  listWorktrees,
  releaseWorktree,
} from "../../src/workspace/mirror.ts";
import { OWNER, startHarness, type Harness } from "../support/run-harness.ts";

let h: Harness;
let data: string;
beforeEach(async () => {
  h = await startHarness({ "a.txt": "one\n" });
  data = join(h.dir, "data");
  for (const name of ["two", "three"]) {
    await h.github.createRepository({
      owner: OWNER,
      name,
      installationId: 1,
      files: { "a.txt": `${name}\n` },
    });
  }
});
afterEach(() => h.close());

function checkout(repo: string, worktree: string) {
  return checkoutFromMirror({
    dataDir: data,
    owner: OWNER,
    repo,
    url: h.port.cloneUrl(OWNER, repo),
    token: () => h.port.gitToken({ installationId: 1, owner: OWNER, repo }),
    branch: "main",
    worktree: join(data, "runs", worktree),
  });
}

/** Fetches of demo that asked for a commit while offering none: clones. */
const clones = () =>
  h.github.requests.filter((r) => {
    const asked = r.uploadPack;
    if (asked?.command !== "fetch" || asked.haves > 0) return false;
    return asked.wants.some(
      (oid) =>
        execFileSync("git", ["cat-file", "-t", oid], { cwd: h.bare }).toString().trim() ===
        "commit",
    );
  }).length;

describe("the mirror cache", () => {
  it("makes one mirror for runs of a repository that start at once", async () => {
    const results = await Promise.all([1, 2, 3].map((n) => checkout("demo", `r${n}`)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.mirror)).size).toBe(1);
    expect(clones()).toBe(1);
    expect(await listWorktrees(results[0]!.mirror)).toHaveLength(3);
    for (const n of [1, 2, 3]) expect(existsSync(join(data, "runs", `r${n}`, "a.txt"))).toBe(true);
  });

  it("keeps a settled run's worktree for the next run, reset to a pristine checkout", async () => {
    const first = join(data, "runs", "first");
    await checkout("demo", "first");
    const sh = (command: string, cwd: string) => execFileSync("bash", ["-c", command], { cwd });
    sh("git switch --quiet -c stamina/1-x", first);
    // The run changed a file without changing its size or times, and left files behind.
    sh(
      "touch -r a.txt /tmp/stamina-ref-$$ && printf 'ONE\\n' > a.txt && touch -r /tmp/stamina-ref-$$ a.txt && rm /tmp/stamina-ref-$$ && mkdir -p build && echo x > build/out && echo y > notes.txt",
      first,
    );
    expect(readFileSync(join(first, "a.txt"), "utf8")).toBe("ONE\n");
    await releaseWorktree(data, OWNER, "demo", first);
    expect(existsSync(first)).toBe(false);

    const before = h.github.requests.length;
    const second = join(data, "runs", "second");
    const result = await checkout("demo", "second");
    expect(result.created).toBe(false);
    expect(readFileSync(join(second, "a.txt"), "utf8")).toBe("one\n");
    expect(existsSync(join(second, "notes.txt"))).toBe(false);
    expect(existsSync(join(second, "build"))).toBe(false);
    expect(sh("git status --porcelain", second).toString()).toBe("");
    expect(sh("git branch --list 'stamina/*'", second).toString()).toBe("");
    expect(await listWorktrees(result.mirror)).toEqual([second]);
    // Nothing was downloaded again but the refs.
    const fetched = h.github.requests
      .slice(before)
      .filter((r) => r.uploadPack?.command === "fetch");
    expect(fetched).toEqual([]);
  });

  it("forgets a released worktree, and evicts idle mirrors past the cap, oldest first", async () => {
    for (const repo of ["demo", "two", "three"]) await checkout(repo, repo);
    for (const repo of ["demo", "two"]) {
      await releaseWorktree(data, OWNER, repo, join(data, "runs", repo));
      expect(existsSync(join(data, "runs", repo))).toBe(false);
    }
    const mirrors = await listMirrors(data);
    expect(mirrors).toHaveLength(3);
    // "two" was used longest ago, then "demo"; "three" still has its run's worktree.
    const dirOf = (repo: string) => mirrors.find((m) => m.dir.endsWith(`/${repo}.git`))!.dir;
    utimesSync(lastUsedMark(dirOf("two")), new Date(1_000_000), new Date(1_000_000));
    utimesSync(lastUsedMark(dirOf("demo")), new Date(2_000_000), new Date(2_000_000));
    utimesSync(lastUsedMark(dirOf("three")), new Date(0), new Date(0));
    const total = mirrors.reduce((n, m) => n + m.bytes, 0);
    const two = mirrors.find((m) => m.dir === dirOf("two"))!.bytes;

    // Just over what fits without "two": only "two" goes.
    expect(await enforceCacheCap(data, total - two)).toEqual([dirOf("two")]);
    // Nothing fits: every idle mirror goes, the one in use stays.
    expect(await enforceCacheCap(data, 1)).toEqual([dirOf("demo")]);
    expect(existsSync(dirOf("three"))).toBe(true);

    await releaseWorktree(data, OWNER, "three", join(data, "runs", "three"));
    expect(await enforceCacheCap(data, 1)).toEqual([dirOf("three")]);
    // The next run of an evicted repository makes its mirror again.
    expect((await checkout("two", "again")).created).toBe(true);
  });
});
