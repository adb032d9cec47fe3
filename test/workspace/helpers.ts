// Shared setup for the workspace tests: temporary folders, a plain git for
// building fixtures (not the code under test), and a look at live processes.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];

export function tempDir(prefix = "stamina-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** git for fixtures, with no user or system config in play. */
export function fixtureGit(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "Fixture",
      GIT_AUTHOR_EMAIL: "fixture@example.com",
      GIT_COMMITTER_NAME: "Fixture",
      GIT_COMMITTER_EMAIL: "fixture@example.com",
    },
  });
}

/** A bare repository with one commit on `main`, and its file:// URL. */
export function bareRepository(): { bare: string; url: string } {
  const root = tempDir("stamina-origin-");
  const seed = join(root, "seed");
  const bare = join(root, "origin.git");
  fixtureGit(root, "init", "--quiet", "--bare", "--initial-branch=main", bare);
  fixtureGit(root, "init", "--quiet", "--initial-branch=main", seed);
  execFileSync(
    "bash",
    ["-c", "printf 'hello\\n' > README.md && mkdir src && printf 'one\\n' > src/a.txt"],
    {
      cwd: seed,
    },
  );
  fixtureGit(seed, "add", "--all");
  fixtureGit(seed, "commit", "--quiet", "-m", "initial");
  fixtureGit(seed, "push", "--quiet", bare, "HEAD:refs/heads/main");
  return { bare, url: `file://${bare}` };
}

/** Live processes whose command line contains `needle` (zombies excluded). */
export function processesMatching(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      continue; // the process ended while we looked
    }
  }
  return pids;
}

export async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}
