// The fake GitHub's git smart HTTP, through real git: partial clones with an installation token,
// pushes into the bare repository, gzip request bodies, refused credentials, and the pull request
// opened for a pushed branch.
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { fakeGitHubPerTest, OWNER, REPO, statusOf } from "./fixture.ts";

const execFileAsync = promisify(execFile);

const fake = fakeGitHubPerTest();
const { appOctokit, installationToken, tick } = fake;

describe("git smart HTTP", () => {
  const gitEnv = (): Record<string, string> => ({
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: fake.scratch,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: "Test",
    GIT_AUTHOR_EMAIL: "test@example.com",
    GIT_COMMITTER_NAME: "Test",
    GIT_COMMITTER_EMAIL: "test@example.com",
  });
  const git = async (args: string[], cwd = fake.scratch): Promise<string> =>
    (
      await execFileAsync("git", ["-c", "credential.helper=", ...args], { cwd, env: gitEnv() })
    ).stdout.trim();
  const basic = (token: string): string[] => [
    "-c",
    `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`,
  ];
  const cloneUrl = (): string => `${fake.gh.url}/${OWNER}/${REPO}.git`;

  const clone = (token: string, dir: string, ...options: string[]): Promise<string> =>
    git([...basic(token), "clone", "--quiet", "--filter=blob:none", ...options, cloneUrl(), dir]);

  /** Commits a file on a new `branch` in `dir` and pushes it; returns the pushed sha. */
  async function commitAndPush(token: string, dir: string, branch: string): Promise<string> {
    await git(["checkout", "--quiet", "-b", branch], dir);
    await writeFile(join(dir, "CHANGE.md"), "changed\n");
    await git(["add", "CHANGE.md"], dir);
    await git(["commit", "--quiet", "-m", "Change"], dir);
    await git([...basic(token), "push", "--quiet", "origin", branch], dir);
    return git(["rev-parse", "HEAD"], dir);
  }

  it("clones partially with a token and takes a pushed branch into the bare repo", async () => {
    const token = await installationToken();
    const dir = join(fake.scratch, "clone");
    await clone(token, dir, "--no-checkout");
    expect(await git(["config", "remote.origin.promisor"], dir)).toBe("true");
    // The server really filtered: both blobs are missing until checkout fetches them lazily.
    const objects = await git(["rev-list", "--objects", "--missing=print", "HEAD"], dir);
    expect(objects.split("\n").filter((line) => line.startsWith("?"))).toHaveLength(2);
    await git([...basic(token), "checkout", "--quiet", "main"], dir);
    expect(await readFile(join(dir, "README.md"), "utf8")).toBe("# widgets\n");

    const pushed = await commitAndPush(token, dir, "stamina/issue-1");
    expect(await git(["--git-dir", fake.barePath, "rev-parse", "refs/heads/stamina/issue-1"])).toBe(
      pushed,
    );
    expect(fake.gh.refusals).toEqual([]);
  });

  it("inflates gzip request bodies (git compresses requests over 1 KiB)", async () => {
    const branches = Array.from({ length: 40 }, (_, i) => `feature/some-long-branch-name-${i}`);
    for (const branch of branches)
      await git(["--git-dir", fake.barePath, "branch", branch, "main"]);
    const token = await installationToken();
    const dir = join(fake.scratch, "many");
    await git([...basic(token), "clone", "--quiet", "--mirror", cloneUrl(), dir]);
    expect((await git(["for-each-ref", "refs/heads/"], dir)).split("\n")).toHaveLength(41);
    expect(fake.gh.refusals).toEqual([]);
  });

  it("refuses a clone without credentials, and with an expired token", async () => {
    await expect(
      git(["clone", "--quiet", cloneUrl(), join(fake.scratch, "anon")]),
    ).rejects.toThrow();
    const token = await installationToken();
    tick(3_600_000 + 1);
    await expect(
      git([...basic(token), "clone", "--quiet", cloneUrl(), join(fake.scratch, "late")]),
    ).rejects.toThrow();
    expect(fake.gh.refusals.map((r) => [r.path, r.authorization, r.status])).toEqual([
      [`/${OWNER}/${REPO}.git/info/refs`, "none", 401],
      [`/${OWNER}/${REPO}.git/info/refs`, "basic", 401],
    ]);
  });

  it("opens a pull request for a pushed branch, and refuses a missing head or a duplicate with 422", async () => {
    const octokit = appOctokit();
    const missing = await octokit.rest.pulls
      .create({ owner: OWNER, repo: REPO, title: "Fix", head: "no-such-branch", base: "main" })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(statusOf(missing)).toBe(422);

    const token = await installationToken();
    const dir = join(fake.scratch, "clone");
    await clone(token, dir);
    const sha = await commitAndPush(token, dir, "stamina/issue-2");
    const { data: pull } = await octokit.rest.pulls.create({
      owner: OWNER,
      repo: REPO,
      title: "Fix",
      body: "Closes #2",
      head: `${OWNER}:stamina/issue-2`,
      base: "main",
      draft: true,
    });
    expect(pull).toMatchObject({
      state: "open",
      draft: true,
      head: { ref: "stamina/issue-2", sha },
    });
    expect(pull.html_url).toBe(`${fake.gh.url}/${OWNER}/${REPO}/pull/${pull.number}`);

    const duplicate = await octokit.rest.pulls
      .create({ owner: OWNER, repo: REPO, title: "Again", head: "stamina/issue-2", base: "main" })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(statusOf(duplicate)).toBe(422);

    const { data: listed } = await octokit.rest.pulls.list({
      owner: OWNER,
      repo: REPO,
      head: `${OWNER}:stamina/issue-2`,
      state: "open",
    });
    expect(listed.map((p) => p.number)).toEqual([pull.number]);
    await octokit.rest.pulls.update({
      owner: OWNER,
      repo: REPO,
      pull_number: pull.number,
      state: "closed",
    });
    expect(fake.gh.pulls(OWNER, REPO)).toEqual([
      {
        number: pull.number,
        title: "Fix",
        body: "Closes #2",
        head: "stamina/issue-2",
        base: "main",
        draft: true,
        state: "closed",
      },
    ]);
    expect(fake.gh.refusals.map((r) => r.status)).toEqual([422, 422]);
  });
});
