// A person's commit pushed straight to a repository on the fake GitHub, beside
// Stamina's work: on a run's branch (Stamina must build on it, never over it)
// or on a branch of their own (a pull request Stamina is handed).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface PersonCommit {
  /** The branch it is pushed to; `from`: a new branch started at that one. */
  branch: string;
  from?: string;
  /** The files it writes, by path. */
  files: Record<string, string>;
  message: string;
  author: { name: string; email: string };
}

/** Clones `bare` (a bare repository's path), commits `commit.files` as its author and pushes; the sha. */
export function pushPersonCommit(bare: string, commit: PersonCommit): string {
  const home = mkdtempSync(join(tmpdir(), "person-"));
  const work = join(home, "clone");
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: commit.author.name,
    GIT_AUTHOR_EMAIL: commit.author.email,
    GIT_COMMITTER_NAME: commit.author.name,
    GIT_COMMITTER_EMAIL: commit.author.email,
  };
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: work, env, encoding: "utf8" }).trim();
  try {
    mkdirSync(work);
    git("clone", "--quiet", "--branch", commit.from ?? commit.branch, bare, ".");
    for (const [path, content] of Object.entries(commit.files)) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), content);
    }
    git("add", "--", ...Object.keys(commit.files));
    git("commit", "--quiet", "-m", commit.message);
    git("push", "--quiet", "origin", `HEAD:refs/heads/${commit.branch}`);
    return git("rev-parse", "HEAD");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
