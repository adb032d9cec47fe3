// Real git, isolated from the host: argument arrays only, no system config, a private HOME.
// Creates the bare repositories the fake serves and answers questions about their branches.
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface Git {
  /** Environment for any git process the fake starts (also `git http-backend`). */
  readonly env: Record<string, string>;
  run(args: string[], cwd: string, extraEnv?: Record<string, string>): Promise<string>;
  runBuffer(args: string[], cwd: string): Promise<Buffer>;
}

export function createGit(home: string): Git {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    LANG: "C",
  };
  return {
    env,
    async run(args, cwd, extraEnv = {}) {
      const { stdout } = await execFileAsync("git", args, {
        cwd,
        env: { ...env, ...extraEnv },
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout;
    },
    async runBuffer(args, cwd) {
      const { stdout } = await execFileAsync("git", args, {
        cwd,
        env,
        encoding: "buffer",
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout;
    },
  };
}

const FIXTURE_IDENTITY = {
  GIT_AUTHOR_NAME: "Fixture",
  GIT_AUTHOR_EMAIL: "fixture@example.com",
  GIT_COMMITTER_NAME: "Fixture",
  GIT_COMMITTER_EMAIL: "fixture@example.com",
};

const SERVED_CONFIG: Array<[string, string]> = [
  ["uploadpack.allowFilter", "true"],
  ["uploadpack.allowAnySHA1InWant", "true"],
  ["http.receivepack", "true"],
];

export interface NewBareRepo {
  barePath: string;
  defaultBranch: string;
  files: Record<string, string>;
}

/** A bare repo with one commit of `files` on `defaultBranch`, made through a scratch clone. */
export async function createBareRepo(
  git: Git,
  scratchRoot: string,
  repo: NewBareRepo,
): Promise<void> {
  const { barePath, defaultBranch, files } = repo;
  await mkdir(dirname(barePath), { recursive: true });
  await git.run(["init", "--bare", `--initial-branch=${defaultBranch}`, barePath], scratchRoot);
  for (const [name, value] of SERVED_CONFIG) await git.run(["config", name, value], barePath);

  const work = await mkdtemp(join(scratchRoot, "work-"));
  try {
    await git.run(["init", `--initial-branch=${defaultBranch}`, work], scratchRoot);
    for (const [path, content] of Object.entries(files)) {
      const target = resolve(work, path);
      if (!target.startsWith(work + sep)) throw new Error(`fixture path escapes the repo: ${path}`);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    await git.run(["add", "--all"], work);
    await git.run(
      ["commit", "--allow-empty", "--quiet", "-m", "Initial commit"],
      work,
      FIXTURE_IDENTITY,
    );
    await git.run(["push", "--quiet", barePath, `HEAD:refs/heads/${defaultBranch}`], work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A served copy of an existing bare repository (`git clone --bare --local`: objects hard-linked). */
export async function copyBareRepo(
  git: Git,
  scratchRoot: string,
  repo: { barePath: string; source: string },
): Promise<void> {
  await mkdir(dirname(repo.barePath), { recursive: true });
  await git.run(
    ["clone", "--quiet", "--bare", "--local", "--", repo.source, repo.barePath],
    scratchRoot,
  );
  for (const [name, value] of SERVED_CONFIG) await git.run(["config", name, value], repo.barePath);
}

/** The commit a branch points at, or undefined when the branch does not exist. */
export async function branchSha(
  git: Git,
  barePath: string,
  branch: string,
): Promise<string | undefined> {
  try {
    const out = await git.run(
      ["rev-parse", "--verify", "--quiet", "--end-of-options", `refs/heads/${branch}^{commit}`],
      barePath,
    );
    return out.trim() || undefined;
  } catch (error) {
    if (isExitError(error)) return undefined;
    throw error;
  }
}

/** How many commits `head` has that `base` lacks. */
export async function commitsAhead(
  git: Git,
  barePath: string,
  base: string,
  head: string,
): Promise<number> {
  const out = await git.run(
    ["rev-list", "--count", "--end-of-options", `refs/heads/${base}..refs/heads/${head}`],
    barePath,
  );
  return Number(out.trim());
}

export type TreeEntry = {
  type: "blob" | "tree" | "commit";
  mode: string;
  sha: string;
  size: number;
  name: string;
};

/** `blob`, `tree`, or undefined when `rev:path` names nothing. */
export async function objectType(
  git: Git,
  barePath: string,
  object: string,
): Promise<string | undefined> {
  try {
    return (await git.run(["cat-file", "-t", "--end-of-options", object], barePath)).trim();
  } catch (error) {
    if (isExitError(error)) return undefined;
    throw error;
  }
}

export async function listTree(git: Git, barePath: string, object: string): Promise<TreeEntry[]> {
  const out = await git.run(["ls-tree", "-l", "--end-of-options", object], barePath);
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [meta = "", name = ""] = line.split("\t");
      const [mode = "", type = "", sha = "", size = ""] = meta.split(/\s+/);
      const kind = type === "tree" || type === "commit" ? type : "blob";
      return { type: kind, mode, sha, size: Number(size) || 0, name };
    });
}

/** git exits non-zero for "no such object"; anything else (e.g. git missing) is a real failure. */
function isExitError(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && "code" in error && typeof error.code === "number"
  );
}

/**
 * GitHub refuses an app's push that creates or changes a file under `.github/workflows/` unless
 * the installation has the `workflows` permission, with this message; and, where a ruleset
 * requires signed commits, any push that brings a commit without a verified signature. The hook
 * holds those lines for pushes over HTTP (`FAKE_GITHUB_APP_PUSH`, `FAKE_GITHUB_SIGNED_ONLY`).
 * A signature here is the `gpgsig` header the fake's Git Data API writes (rest-git.ts).
 */
const PUSH_RULES_HOOK = `#!/bin/sh
zero=0000000000000000000000000000000000000000
while read -r old new ref; do
  [ "$new" = "$zero" ] && continue
  if [ "$old" = "$zero" ]; then range="$new --not --all"; else range="$old..$new"; fi
  if [ "$FAKE_GITHUB_APP_PUSH" = 1 ] && [ "$FAKE_GITHUB_WORKFLOWS" != 1 ]; then
    file=$(git log --name-only --format= $range -- .github/workflows | head -n 1)
    if [ -n "$file" ]; then
      echo "refusing to allow a GitHub App to create or update workflow \\\`$file\\\` without \\\`workflows\\\` permission" >&2
      exit 1
    fi
  fi
  if [ "$FAKE_GITHUB_SIGNED_ONLY" = 1 ]; then
    for commit in $(git rev-list $range); do
      if ! git cat-file commit "$commit" | grep -q '^gpgsig '; then
        echo "GH013: Repository rule violations found for $ref." >&2
        echo "- Commits must have verified signatures." >&2
        echo "  Found 1 violation: $commit" >&2
        exit 1
      fi
    done
  fi
done
exit 0
`;

/** Installs the hooks that hold GitHub's push rules in a served bare repository. */
export async function installPushHooks(barePath: string): Promise<void> {
  await mkdir(join(barePath, "hooks"), { recursive: true });
  await writeFile(join(barePath, "hooks", "pre-receive"), PUSH_RULES_HOOK, { mode: 0o755 });
}

/**
 * Git as a client of GitHub holding installation token `token`, sent as GitHub takes it (Basic
 * `x-access-token:TOKEN`): no credential helper, no prompt, HOME and the working folder `dir`.
 */
export function gitWithToken(
  token: string,
  dir: string,
): (...args: string[]) => Promise<{ stdout: string; stderr: string }> {
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return (...args) =>
    execFileAsync(
      "git",
      ["-c", "credential.helper=", "-c", `http.extraHeader=Authorization: Basic ${basic}`, ...args],
      {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, GIT_TERMINAL_PROMPT: "0" },
      },
    );
}

/** Git with `input` on its standard input (`hash-object --stdin`, `update-index --index-info`). */
export function runWithInput(
  git: Git,
  args: string[],
  cwd: string,
  input: Buffer,
  extraEnv: Record<string, string> = {},
): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("git", args, { cwd, env: { ...git.env, ...extraEnv } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolvePromise(Buffer.concat(out).toString("utf8"));
      else
        reject(new Error(`git ${args[0]} exited ${code}: ${Buffer.concat(err).toString("utf8")}`));
    });
    child.stdin.end(input);
  });
}
