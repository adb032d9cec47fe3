// git in the harness: clone and push with a token that never lands on disk
// or in an error, commits with trailers, and a repository config that could
// redirect the token is refused.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cloneRepository,
  commitAll,
  createBranch,
  currentHead,
  diffStat,
  GitError,
  push,
  runGit,
} from "../../src/workspace/git.ts";
import { scrub } from "../../src/workspace/git-run.ts";
import { PushRefused } from "../../src/workspace/push-guard.ts";
import { bareRepository, fixtureGit, removeTempDirs, tempDir } from "./helpers.ts";

const TOKEN = "ghs_TestTokenValue1234567890abcdef";
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");
const BOT = { name: "stamina[bot]", email: "stamina[bot]@users.noreply.github.com" };

function countingToken(value = TOKEN) {
  const calls = { count: 0 };
  const token = () => {
    calls.count++;
    return Promise.resolve(value);
  };
  return { calls, token };
}

/** Every file under `dir`, so a secret can be looked for anywhere in it. */
function allText(dir: string): string {
  let text = "";
  for (const entry of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const path = join(dir, entry);
    if (statSync(path).isFile()) text += readFileSync(path).toString("latin1");
  }
  return text;
}

async function clonedWorktree() {
  const { bare, url } = bareRepository();
  const dir = join(tempDir(), "worktree");
  const { calls, token } = countingToken();
  await cloneRepository({ url, dir, token, branch: "main" });
  return { bare, url, dir, calls, token };
}

afterAll(removeTempDirs);

describe("cloneRepository", () => {
  it("clones over file:// and asks for the token once, leaving it nowhere in .git", async () => {
    const { dir, calls } = await clonedWorktree();
    expect(calls.count).toBe(1);
    expect(readFileSync(join(dir, "README.md"), "utf8")).toBe("hello\n");
    const config = readFileSync(join(dir, ".git", "config"), "utf8");
    expect(config).not.toContain(TOKEN);
    expect(config).not.toContain(BASIC);
    expect(config).not.toMatch(/extraheader/i);
    const everything = allText(join(dir, ".git"));
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(BASIC);
  });

  it("clones partially when asked", async () => {
    const { url } = bareRepository();
    const dir = join(tempDir(), "partial");
    await cloneRepository({ url, dir, token: countingToken().token, partial: true });
    expect(fixtureGit(dir, "config", "remote.origin.promisor").trim()).toBe("true");
  });

  it("refuses a URL that carries credentials", async () => {
    const dir = join(tempDir(), "never");
    await expect(
      cloneRepository({
        url: `https://x-access-token:${TOKEN}@github.com/o/r.git`,
        dir,
        token: countingToken().token,
      }),
    ).rejects.toThrow(/must not carry credentials/);
  });
});

describe("runGit", () => {
  it("gives git a minimal environment, not the app's", async () => {
    process.env.SECRET_TEST = "x";
    try {
      const dir = tempDir();
      // A shell alias prints the environment git hands to the programs it runs.
      const { stdout } = await runGit(["-c", "alias.envdump=!env", "envdump"], { cwd: dir });
      const names = stdout.split("\n").map((line) => line.split("=")[0]);
      expect(names).not.toContain("SECRET_TEST");
      expect(stdout).toContain("GIT_CONFIG_NOSYSTEM=1");
      expect(stdout).toContain("GIT_TERMINAL_PROMPT=0");
      const home = /^HOME=(.*)$/m.exec(stdout)?.[1] ?? "";
      expect(home).not.toBe(process.env.HOME);
      expect(readdirSync(home)).toEqual([]);
    } finally {
      delete process.env.SECRET_TEST;
    }
  });

  it("names the subcommand and the stderr in a GitError", async () => {
    const error = await runGit(["rev-parse", "--verify", "no-such-ref"], { cwd: tempDir() }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).message).toMatch(
      /^git rev-parse failed with exit code 128: .*not a git repository/s,
    );
  });

  it("scrubs tokens, headers and URL credentials from text", () => {
    const text = `token ${TOKEN} header Authorization: Basic ${BASIC} url https://u:${TOKEN}@h/x https://ghs_abc@h/y`;
    const clean = scrub(text, [TOKEN, BASIC]);
    expect(clean).not.toContain(TOKEN);
    expect(clean).not.toContain(BASIC);
    expect(clean).not.toContain("ghs_abc");
  });
});

describe("commitAll", () => {
  it("commits tracked and untracked changes with the trailers of the message", async () => {
    const { dir } = await clonedWorktree();
    writeFileSync(join(dir, "README.md"), "hello\nworld\n");
    writeFileSync(join(dir, "new.txt"), "new\n");
    const message =
      "Fix the greeting\n\nWhy it changed.\n\nCo-authored-by: Ada <ada@example.com>\nStamina-Audit: abc123";
    const sha = await commitAll(dir, {
      message,
      author: BOT,
      committer: { name: "Committer", email: "c@example.com" },
    });
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(sha).toBe(await currentHead(dir));
    const trailers = fixtureGit(
      dir,
      "log",
      "-1",
      "--format=%(trailers:key=Co-authored-by,valueonly)%n%(trailers:key=Stamina-Audit,valueonly)",
    );
    expect(trailers.trim().split("\n").filter(Boolean)).toEqual([
      "Ada <ada@example.com>",
      "abc123",
    ]);
    expect(fixtureGit(dir, "log", "-1", "--format=%an <%ae>|%cn <%ce>").trim()).toBe(
      "stamina[bot] <stamina[bot]@users.noreply.github.com>|Committer <c@example.com>",
    );
    expect(
      fixtureGit(dir, "show", "--name-only", "--format=", "HEAD").trim().split("\n").sort(),
    ).toEqual(["README.md", "new.txt"]);
    expect(fixtureGit(dir, "status", "--porcelain")).toBe("");
  });

  it("returns null when there is nothing to commit", async () => {
    const { dir } = await clonedWorktree();
    expect(await commitAll(dir, { message: "nothing", author: BOT })).toBeNull();
  });

  it("runs no hook, even one a setup command installed through core.hooksPath", async () => {
    const { dir } = await clonedWorktree();
    execFileSync(
      "bash",
      [
        "-c",
        "mkdir -p .husky && printf '#!/bin/sh\\nexit 1\\n' > .husky/pre-commit && chmod +x .husky/pre-commit && git config core.hooksPath .husky",
      ],
      {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", GIT_CONFIG_NOSYSTEM: "1" },
      },
    );
    writeFileSync(join(dir, "x.txt"), "x\n");
    expect(await commitAll(dir, { message: "with hook", author: BOT })).not.toBeNull();
  });
});

describe("push", () => {
  it("pushes HEAD to the branch with a fresh token each time", async () => {
    const { bare, url, dir, calls, token } = await clonedWorktree();
    await createBranch(dir, "stamina/1-fix");
    writeFileSync(join(dir, "a.txt"), "a\n");
    const sha = await commitAll(dir, { message: "one", author: BOT });
    const lease = { branch: "stamina/1-fix", defaultBranch: "main", sha: null as string | null };
    await push(dir, { url, lease, token });
    expect(calls.count).toBe(2);
    expect(fixtureGit(bare, "rev-parse", "refs/heads/stamina/1-fix").trim()).toBe(sha);
    writeFileSync(join(dir, "b.txt"), "b\n");
    await commitAll(dir, { message: "two", author: BOT });
    lease.sha = sha;
    await push(dir, { url, lease, token });
    expect(calls.count).toBe(3);
    expect(allText(join(dir, ".git"))).not.toContain(TOKEN);
  });

  it("refuses the default branch and branches Stamina did not create, before asking for a token", async () => {
    const { dir, url } = await clonedWorktree();
    const { calls, token } = countingToken();
    for (const branch of ["main", "feature/x"]) {
      const lease = { branch, defaultBranch: "main", sha: null };
      await expect(push(dir, { url, lease, token })).rejects.toBeInstanceOf(PushRefused);
    }
    const onDefault = { branch: "stamina/1-x", defaultBranch: "stamina/1-x", sha: null };
    await expect(push(dir, { url, lease: onDefault, token })).rejects.toThrow(/default branch/);
    expect(calls.count).toBe(0);
  });

  it("pushes only where the branch stands as the run left it: a branch someone else made or moved is refused", async () => {
    const { bare, url, dir, token } = await clonedWorktree();
    // Someone else's branch of the same name, made from the same base (a fast-forward for us).
    fixtureGit(bare, "update-ref", "refs/heads/stamina/5-x", "refs/heads/main");
    writeFileSync(join(dir, "a.txt"), "a\n");
    const mine = await commitAll(dir, { message: "mine", author: BOT });
    const fresh = { branch: "stamina/5-x", defaultBranch: "main", sha: null };
    const error = await push(dir, { url, lease: fresh, token }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PushRefused);
    expect((error as Error).message).toMatch(/appeared on GitHub before Stamina's first push/);
    expect(fixtureGit(bare, "rev-parse", "refs/heads/stamina/5-x")).toBe(
      fixtureGit(bare, "rev-parse", "refs/heads/main"),
    );
    // Our own branch, then moved by someone else: the next push is refused too.
    const lease = { branch: "stamina/6-x", defaultBranch: "main", sha: null as string | null };
    await push(dir, { url, lease, token });
    lease.sha = mine;
    fixtureGit(bare, "update-ref", "refs/heads/stamina/6-x", "refs/heads/main");
    writeFileSync(join(dir, "b.txt"), "b\n");
    await commitAll(dir, { message: "mine again", author: BOT });
    await expect(push(dir, { url, lease, token })).rejects.toThrow(/moved on GitHub/);
  });

  it("fails without the token in the error when the remote is unreachable", async () => {
    const { dir, token } = await clonedWorktree();
    const error = await push(dir, {
      url: "http://127.0.0.1:9/x.git",
      lease: { branch: "stamina/2-x", defaultBranch: "main", sha: null },
      token,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    const text = `${(error as GitError).message}\n${(error as GitError).stderr}\n${(error as GitError).stack ?? ""}`;
    expect(text).toMatch(/git push failed/);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(BASIC);
    expect(text).not.toMatch(/extraHeader/i);
  });

  describe("against an HTTP server that records what it receives", () => {
    let server: Server;
    let port = 0;
    const seen: string[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        seen.push(req.headers.authorization ?? "");
        res.writeHead(403, { "content-type": "text/plain" });
        res.end(`denied ${req.headers.authorization ?? ""}`);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const address = server.address();
      port = typeof address === "object" && address !== null ? address.port : 0;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it("sends a Basic header built from a fresh token per push, and keeps it out of errors", async () => {
      const { dir } = await clonedWorktree();
      let n = 0;
      const token = () => Promise.resolve(`ghs_fresh_${++n}`);
      for (let i = 0; i < 2; i++) {
        const error = await push(dir, {
          url: `http://127.0.0.1:${port}/o/r.git`,
          lease: { branch: "stamina/3-y", defaultBranch: "main", sha: null },
          token,
        }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GitError);
        const message = (error as GitError).message;
        expect(message).toMatch(/^git push failed/);
        expect(message).not.toContain(`ghs_fresh_${n}`);
        expect(message).not.toContain(
          Buffer.from(`x-access-token:ghs_fresh_${n}`).toString("base64"),
        );
      }
      expect(seen).toContain(
        `Basic ${Buffer.from("x-access-token:ghs_fresh_1").toString("base64")}`,
      );
      expect(seen).toContain(
        `Basic ${Buffer.from("x-access-token:ghs_fresh_2").toString("base64")}`,
      );
    });
  });

  it("refuses a repository config that could redirect the token, before asking for one", async () => {
    const { dir, url } = await clonedWorktree();
    fixtureGit(dir, "config", "http.proxy", "http://attacker.example:8080");
    fixtureGit(dir, "config", `url.http://attacker.example/.insteadOf`, url);
    const { calls, token } = countingToken();
    const lease = { branch: "stamina/4-z", defaultBranch: "main", sha: null };
    const error = await push(dir, { url, lease, token }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).message).toMatch(/http\.proxy/);
    expect((error as GitError).message).toMatch(/insteadof/);
    expect(calls.count).toBe(0);
  });

  it("refuses an invalid branch name", async () => {
    const { dir, url, token } = await clonedWorktree();
    const lease = (branch: string) => ({ branch, defaultBranch: "main", sha: null });
    await expect(push(dir, { url, lease: lease("stamina/bad..name"), token })).rejects.toThrow(
      /invalid branch name/,
    );
  });
});

describe("diffStat", () => {
  it("counts changes from a base commit to the working tree", async () => {
    const { dir } = await clonedWorktree();
    const base = await currentHead(dir);
    writeFileSync(join(dir, "README.md"), "hello\nthere\nworld\n");
    writeFileSync(join(dir, "src", "a.txt"), "");
    const stat = await diffStat(dir, base);
    expect(stat.files).toEqual([
      { path: "README.md", insertions: 2, deletions: 0 },
      { path: "src/a.txt", insertions: 0, deletions: 1 },
    ]);
    expect([stat.insertions, stat.deletions]).toEqual([2, 1]);
  });
});
