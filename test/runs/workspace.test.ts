// The run's workspace, in process against the fake GitHub: one partial mirror
// per repository that a second run fetches into rather than cloning again, a
// worktree per run removed when the run settles, a branch name that steps
// aside for one already on GitHub, the asker credited on every commit, and a
// push that a secret in the change holds for a writer.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { UploadPackRequest } from "../support/fake-github/index.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import {
  byStep,
  OWNER,
  REPO,
  REQUESTER_ID,
  startHarness,
  type Harness,
} from "../support/run-harness.ts";

const FILES = { "a.txt": "one\n" };
const TWO = byStep([
  reply(editFile("a.txt", "one", "two")),
  reply(text("Made it two.")),
  reply(text("a.txt says two.")),
]);

let h: Harness;
beforeEach(async () => {
  h = await startHarness(FILES, { sandbox: "bubblewrap" });
});
afterEach(() => h.close());

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "Someone",
      GIT_AUTHOR_EMAIL: "someone@example.com",
      GIT_COMMITTER_NAME: "Someone",
      GIT_COMMITTER_EMAIL: "someone@example.com",
    },
  }).trim();

/** A commit on the bare repository's main (someone else's work landing on GitHub). */
function commitOnMain(changes: Record<string, string | null>, message: string): string {
  const work = mkdtempSync(join(tmpdir(), "stamina-push-"));
  try {
    git(work, "clone", "--quiet", h.bare, ".");
    for (const [path, content] of Object.entries(changes)) {
      if (content === null) git(work, "rm", "--quiet", path);
      else writeFileSync(join(work, path), content);
    }
    git(work, "add", "--all");
    git(work, "commit", "--quiet", "-m", message);
    git(work, "push", "--quiet", "origin", "HEAD:main");
    return git(work, "rev-parse", "HEAD");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const mirror = () => join(h.dir, "data", "mirrors", OWNER, REPO + ".git");

/** The upload-pack requests from `from` on: what git asked the fake GitHub for. */
function uploadPacks(from: number): UploadPackRequest[] {
  return h.github.requests
    .slice(from)
    .flatMap((r) => (r.uploadPack?.command === "fetch" ? [r.uploadPack] : []));
}

const isCommit = (oid: string) => git(h.bare, "cat-file", "-t", oid) === "commit";

async function runIssue(issue: number, config: unknown = {}) {
  await h.model(TWO);
  await h.queue(config, issue);
  return h.execute(await h.claim());
}

describe("the workspace", () => {
  it("clones a repository once, as a partial mirror, and fetches into it for the next run", async () => {
    // History whose blobs a partial clone never downloads (a file added, then removed), and a
    // file big enough that downloading it again would show.
    commitOnMain({ "old.txt": "only in history\n" }, "add old.txt");
    commitOnMain({ "big.txt": randomBytes(64 * 1024).toString("hex") }, "add big.txt");
    commitOnMain({ "old.txt": null }, "remove old.txt");
    const oldBlob = git(h.bare, "rev-parse", "HEAD~2:old.txt");
    const setup = "cat .git; git log --oneline -1";

    const before = h.github.requests.length;
    const first = await runIssue(1, { setup });
    expect(first.state).toBe("succeeded");
    const cloned = uploadPacks(before);
    // The first run cloned: a commit wanted with nothing to offer, blobs filtered out.
    expect(cloned.some((u) => u.haves === 0 && u.wants.some(isCommit))).toBe(true);
    // Every clone filters blobs out (after the push, fetching GitHub's signed commit names what
    // the worktree has, so it is no clone).
    const clones = cloned.filter((u) => u.haves === 0);
    expect(clones.length).toBeGreaterThan(0);
    expect(clones.every((u) => u.filter === "blob:none")).toBe(true);

    // A promisor of GitHub (git falls back to a full clone, silently, when filters are refused).
    expect(git(mirror(), "config", "--get", "remote.origin.promisor")).toBe("true");
    expect(git(mirror(), "config", "--get", "extensions.partialClone")).toBe("origin");
    const missing = git(mirror(), "rev-list", "--objects", "--all", "--missing=print");
    expect(missing.split("\n")).toContain(`?${oldBlob}`);

    const moved = commitOnMain({ "b.txt": "new on main\n" }, "main moves on");
    const between = h.github.requests.length;
    const second = await runIssue(2, { setup });
    expect(second.state).toBe("succeeded");
    const fetched = uploadPacks(between);
    // The second run fetched main's new commit, naming what the mirror has; it cloned nothing.
    expect(fetched.find((u) => u.wants.includes(moved))?.haves).toBeGreaterThan(0);
    for (const u of fetched) if (u.wants.some(isCommit)) expect(u.haves).toBeGreaterThan(0);
    const bytes = (list: UploadPackRequest[]) => list.reduce((n, u) => n + u.bytesOut, 0);
    expect(bytes(fetched)).toBeLessThan(bytes(cloned));

    for (const [run, how] of [
      [first, "created"],
      [second, "reused"],
    ] as const) {
      const events = await h.store.audit.events(run.id);
      expect(events.find((e) => e.type === "git.clone")?.data.mirror).toBe(how);
      // Each run worked in a worktree of the mirror, where the sandbox's git could read it.
      const output = String(events.find((e) => e.type === "command")?.data.output);
      expect(output).toContain(`gitdir: ${mirror()}/worktrees/`);
      expect(output).toMatch(/[0-9a-f]{7,} /);
    }
    // Settled runs leave no worktree behind, in the mirror or on disk.
    expect(git(mirror(), "worktree", "list", "--porcelain")).not.toContain("attempt-");
    expect(git(mirror(), "branch", "--list", "stamina/*")).toBe("");
    expect(existsSync(join(h.dir, "data", "runs", first.id, "attempt-1", "worktree"))).toBe(false);
    // The last one is kept for the next run, back on the default branch: none of the run's work.
    expect(readFileSync(join(mirror(), "stamina-spare", "a.txt"), "utf8")).toBe("one\n");
    expect(git(join(mirror(), "stamina-spare"), "status", "--porcelain")).toBe("");
    expect(h.github.pulls(OWNER, REPO).map((p) => p.head)).toEqual([
      "stamina/1-make-it-two",
      "stamina/2-make-it-two",
    ]);
  });

  it("takes the next free branch name when the name is taken on GitHub, and credits the asker on every commit", async () => {
    const main = git(h.bare, "rev-parse", "refs/heads/main");
    git(h.bare, "update-ref", "refs/heads/stamina/1-make-it-two", main);
    git(h.bare, "update-ref", "refs/heads/stamina/1-make-it-two-2", main);
    const finished = await runIssue(1);
    expect(finished.state).toBe("succeeded");
    expect(finished.branch).toBe("stamina/1-make-it-two-3");
    expect(h.github.pulls(OWNER, REPO)[0]?.head).toBe("stamina/1-make-it-two-3");
    // The branches someone else made are as they were.
    expect(git(h.bare, "rev-parse", "refs/heads/stamina/1-make-it-two")).toBe(main);
    expect(git(h.bare, "rev-parse", "refs/heads/stamina/1-make-it-two-2")).toBe(main);
    const branch = (await h.store.audit.events(finished.id)).find((e) => e.type === "git.branch");
    expect(branch?.data).toMatchObject({ taken: "stamina/1-make-it-two" });

    const trailers = git(
      h.bare,
      "log",
      "--format=%(trailers:key=Co-authored-by,valueonly)%x00",
      `main..stamina/1-make-it-two-3`,
    );
    const perCommit = trailers.split("\0").map((t) => t.trim());
    expect(perCommit.filter((t) => t !== "").length).toBeGreaterThan(0);
    for (const t of perCommit.filter((t) => t !== "")) {
      expect(t).toBe(`maintainer <${REQUESTER_ID}+maintainer@users.noreply.github.com>`);
    }
  });

  it("never pushes to the default branch, even when the run was told to work on it", async () => {
    const main = git(h.bare, "rev-parse", "refs/heads/main");
    await h.model(TWO);
    const queued = await h.queue({});
    await h.store.runs.update(queued.id, { branch: "main", baseSha: main });
    const finished = await h.execute(await h.claim());
    expect(finished.state).toBe("failed");
    expect(finished.outcome).toContain("never pushes to the default branch");
    expect(git(h.bare, "rev-parse", "refs/heads/main")).toBe(main);
    const events = await h.store.audit.events(finished.id);
    expect(events.find((e) => e.type === "git.push_refused")?.data.branch).toBe("main");
    expect(events.some((e) => e.type === "git.push")).toBe(false);
  });

  it("holds a change that adds a secret for a writer, and says where without saying what", async () => {
    const secret = `ghp_${"A1b2C3d4E5".repeat(4)}`;
    await h.model(
      byStep([
        reply(
          toolUse("bash", {
            command: `printf 'const x = 1;\\nconst t = "${secret}";\\n' > config.js`,
          }),
        ),
        reply(text("Added the config.")),
        reply(text("config.js holds the setting.")),
      ]),
    );
    await h.queue({});
    const finished = await h.execute(await h.claim());
    // A finding may be a false positive: the run waits for a writer instead of failing.
    expect(finished.state).toBe("awaiting_approval");
    const ask = h.github.issueComments(OWNER, REPO, 1).find((c) => c.body.startsWith("🔐"));
    expect(ask?.body).toContain("GitHub token in `config.js` line 2");
    // Nothing reached GitHub: no branch, no pull request.
    expect(() =>
      git(h.bare, "rev-parse", "--verify", "--quiet", "refs/heads/stamina/1-make-it-two"),
    ).toThrow();
    expect(h.github.pulls(OWNER, REPO)).toHaveLength(0);
    const events = await h.store.audit.events(finished.id);
    const scan = events.find((e) => e.type === "git.secret_scan");
    expect(scan?.data).toMatchObject({
      result: "held",
      findings: [{ path: "config.js", line: 2, kind: "GitHub token" }],
    });
    expect(events.some((e) => e.type === "git.push")).toBe(false);
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(JSON.stringify(h.github.issueComments(OWNER, REPO, 1))).not.toContain(secret);
  });

  it("undoes a milestone whose commit holds a secret, so the history it pushes later never has it", async () => {
    const secret = `sk-ant-api03-${"Zq9Xw8Vu7T".repeat(3)}`;
    await h.model(
      byStep([
        reply(editFile("a.txt", "one", "two"), toolUse("checkpoint", { message: "Two" })),
        reply(toolUse("bash", { command: `printf 'const key = "${secret}";\\n' > config.js` })),
        reply(toolUse("checkpoint", { message: "Add the key" })),
      ]),
    );
    await h.queue({});
    const finished = await h.execute(await h.claim());
    expect(finished.state).toBe("awaiting_approval");
    const events = await h.store.audit.events(finished.id);
    const scans = events.filter((e) => e.type === "git.secret_scan").map((e) => e.data.result);
    expect(scans).toEqual(["clean", "held"]);
    const told = events.filter((e) => e.type === "tool.result" && e.data.name === "checkpoint");
    expect(JSON.stringify(told.at(-1)?.data)).toContain("needs a maintainer's approval");
    // The held commit is undone (its change kept in the working tree): GitHub has the first only.
    const pushed = git(h.bare, "log", "-p", `main..${finished.branch ?? ""}`);
    expect(pushed).toContain("+two");
    expect(pushed).not.toContain("sk-ant-");
  });
});
