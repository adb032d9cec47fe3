// The fake GitHub holds the line the real one holds: unknown routes, bad credentials, expired
// tokens, invalid bodies and invalid GraphQL are refused; real clients (Octokit, git) work.
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { ProbotOctokit } from "probot";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type FakeGitHub,
  implementedRoutes,
  startFakeGitHub,
} from "./support/fake-github/index.ts";
import { loadOpenApi } from "./support/fake-github/openapi.ts";

const execFileAsync = promisify(execFile);

const APP_ID = 4242;
const INSTALLATION_ID = 77;
const OWNER = "acme";
const REPO = "widgets";

const rsaKeyPair = (): { publicKey: string; privateKey: string } =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
const appKeys = rsaKeyPair();
const forgerKeys = rsaKeyPair();

const silentLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

let gh: FakeGitHub;
let clock: number;
let scratch: string;
let barePath: string;

beforeAll(async () => {
  // The description loads once per process; pay for it outside the first test's time.
  await loadOpenApi();
});

beforeEach(async () => {
  clock = Date.now();
  gh = await startFakeGitHub({
    appId: APP_ID,
    appPublicKeyPem: appKeys.publicKey,
    now: () => clock,
  });
  gh.addInstallation(INSTALLATION_ID, OWNER);
  ({ barePath } = await gh.createRepository({
    owner: OWNER,
    name: REPO,
    installationId: INSTALLATION_ID,
    files: { "README.md": "# widgets\n", ".github/stamina.yml": "label: stamina\n" },
  }));
  scratch = await mkdtemp(join(tmpdir(), "fake-github-test-"));
});

afterEach(async () => {
  await gh.close();
  await rm(scratch, { recursive: true, force: true });
});

function appOctokit(privateKey = appKeys.privateKey): Octokit {
  return new Octokit({
    authStrategy: createAppAuth,
    auth: { appId: APP_ID, privateKey, installationId: INSTALLATION_ID },
    baseUrl: gh.apiUrl,
    log: silentLog,
  });
}

async function installationToken(): Promise<string> {
  const auth = createAppAuth({
    appId: APP_ID,
    privateKey: appKeys.privateKey,
    installationId: INSTALLATION_ID,
    request: new Octokit({ baseUrl: gh.apiUrl }).request,
  });
  const { token } = await auth({ type: "installation" });
  return token;
}

function api(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `token ${init.token}`);
  if (init.body) headers.set("content-type", "application/json");
  return fetch(`${gh.apiUrl}${path}`, { ...init, headers });
}

function statusOf(error: unknown): number | undefined {
  return typeof error === "object" &&
    error !== null &&
    "status" in error &&
    typeof error.status === "number"
    ? error.status
    : undefined;
}

describe("REST routes are GitHub's", () => {
  it("refuses a route GitHub does not have with 404", async () => {
    const res = await api(`/repos/${OWNER}/${REPO}/not-a-thing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ message: "Not Found" });
    expect(gh.refusals).toEqual([
      expect.objectContaining({
        method: "GET",
        path: `/api/v3/repos/${OWNER}/${REPO}/not-a-thing`,
        status: 404,
      }),
    ]);
  });

  it("answers a route GitHub has but the fake lacks with 501, never a silent 200", async () => {
    const token = await installationToken();
    const res = await api(`/repos/${OWNER}/${REPO}/hooks`, { token });
    expect(res.status).toBe(501);
    expect(await res.json()).toMatchObject({
      message: "fake GitHub does not implement GET /repos/{owner}/{repo}/hooks",
    });
    expect(gh.refusals.map((r) => r.status)).toEqual([501]);
  });

  it("implements only routes that exist in the OpenAPI description", async () => {
    const spec = await loadOpenApi();
    const known = new Set(
      spec.paths.flatMap((p) => [...p.methods.keys()].map((method) => `${method} ${p.template}`)),
    );
    expect(implementedRoutes().filter((route) => !known.has(route))).toEqual([]);
  });

  it("validates JSON bodies against the operation's schema", async () => {
    const token = await installationToken();
    const reaction = await api(`/repos/${OWNER}/${REPO}/issues/1/reactions`, {
      method: "POST",
      token,
      body: JSON.stringify({ content: "thumbsup" }),
    });
    expect(reaction.status).toBe(422);
    expect(await reaction.json()).toMatchObject({
      message: "Validation Failed",
      errors: [expect.objectContaining({ field: "content", code: "invalid" })],
    });
    const comment = await api(`/repos/${OWNER}/${REPO}/issues/1/comments`, {
      method: "POST",
      token,
      body: JSON.stringify({ text: "hello" }),
    });
    expect(comment.status).toBe(422);
    expect(await comment.json()).toMatchObject({
      errors: [expect.objectContaining({ field: "body", code: "missing_field" })],
    });
    const draft = await api(`/repos/${OWNER}/${REPO}/pulls`, {
      method: "POST",
      token,
      body: JSON.stringify({ title: "t", head: "x", base: "main", draft: "yes" }),
    });
    expect(draft.status).toBe(422);
    expect(gh.reactions(OWNER, REPO, 1)).toEqual([]);
    expect(gh.refusals.map((r) => r.status)).toEqual([422, 422, 422]);
  });
});

describe("auth like GitHub", () => {
  it("serves a repository to a token minted through createAppAuth", async () => {
    const octokit = appOctokit();
    const { data } = await octokit.rest.repos.get({ owner: OWNER, repo: REPO });
    expect(data).toMatchObject({
      name: REPO,
      full_name: `${OWNER}/${REPO}`,
      owner: { login: OWNER },
      default_branch: "main",
      clone_url: `${gh.url}/${OWNER}/${REPO}.git`,
    });
    const [token] = gh.issuedTokens();
    expect(token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    expect(gh.requests.map((r) => [r.method, r.path, r.authorization, r.status])).toEqual([
      ["POST", `/api/v3/app/installations/${INSTALLATION_ID}/access_tokens`, "jwt", 201],
      ["GET", `/api/v3/repos/${OWNER}/${REPO}`, "token", 200],
    ]);
    expect(JSON.stringify(gh.requests)).not.toContain(token);
    expect(gh.refusals).toEqual([]);
  });

  it("refuses an installation token once the injected clock passes its expiry", async () => {
    const token = await installationToken();
    expect((await api(`/repos/${OWNER}/${REPO}`, { token })).status).toBe(200);
    clock += 3_600_000 + 1;
    const res = await api(`/repos/${OWNER}/${REPO}`, { token });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ message: "Bad credentials" });
    expect(gh.refusals.map((r) => [r.path, r.status])).toEqual([
      [`/api/v3/repos/${OWNER}/${REPO}`, 401],
    ]);
  });

  it("refuses a JWT signed with another key", async () => {
    const error = await appOctokit(forgerKeys.privateKey)
      .rest.repos.get({ owner: OWNER, repo: REPO })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(statusOf(error)).toBe(401);
    expect(gh.issuedTokens()).toEqual([]);
    expect(gh.refusals.map((r) => [r.path, r.authorization, r.status])).toEqual([
      [`/api/v3/app/installations/${INSTALLATION_ID}/access_tokens`, "jwt", 401],
    ]);
  });

  it("hides another installation's repository behind a 404", async () => {
    gh.addInstallation(88, "other");
    await gh.createRepository({
      owner: "other",
      name: "secret",
      installationId: 88,
      files: { a: "b" },
    });
    const token = await installationToken();
    expect((await api("/repos/other/secret", { token })).status).toBe(404);
    expect(gh.refusals.map((r) => r.status)).toEqual([404]);
  });
});

describe("REST behaviour the app relies on", () => {
  it("reads files raw (as Probot's config does) or as base64 JSON, and 404s a missing file", async () => {
    const octokit = appOctokit();
    const raw = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      owner: OWNER,
      repo: REPO,
      path: ".github/stamina.yml",
      mediaType: { format: "raw" },
    });
    expect(raw.data).toBe("label: stamina\n");
    const json = await octokit.rest.repos.getContent({
      owner: OWNER,
      repo: REPO,
      path: "README.md",
    });
    expect(json.data).toMatchObject({ type: "file", encoding: "base64", path: "README.md" });
    const content = "content" in json.data ? String(json.data.content) : "";
    expect(Buffer.from(content, "base64").toString("utf8")).toBe("# widgets\n");
    const missing = await octokit.rest.repos
      .getContent({ owner: OWNER, repo: REPO, path: ".github/.github/stamina.yml" })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(statusOf(missing)).toBe(404);
    const dir = await octokit.rest.repos.getContent({ owner: OWNER, repo: REPO, path: ".github" });
    expect(Array.isArray(dir.data) ? dir.data.map((e) => [e.type, e.path]) : dir.data).toEqual([
      ["file", ".github/stamina.yml"],
    ]);
    expect(gh.refusals).toEqual([]);
  });

  it("answers Probot's config lookup, including its org fallback", async () => {
    const octokit = new ProbotOctokit({
      authStrategy: createAppAuth,
      auth: { appId: APP_ID, privateKey: appKeys.privateKey, installationId: INSTALLATION_ID },
      baseUrl: gh.apiUrl,
      log: silentLog,
    });
    const found = await octokit.config.get({
      owner: OWNER,
      repo: REPO,
      path: ".github/stamina.yml",
    });
    expect(found.config).toEqual({ label: "stamina" });
    const absent = await octokit.config.get({
      owner: OWNER,
      repo: REPO,
      path: ".github/absent.yml",
    });
    expect(absent.config).toEqual({});
    expect(gh.requests.at(-1)).toMatchObject({
      path: `/api/v3/repos/${OWNER}/.github/contents/.github%2Fabsent.yml`,
      status: 404,
    });
    expect(gh.refusals).toEqual([]);
  });

  it("reports legacy permission and role name, and 404 for a user it does not know", async () => {
    gh.setPermission(OWNER, REPO, "maintainer", "maintain");
    const octokit = appOctokit();
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner: OWNER,
      repo: REPO,
      username: "maintainer",
    });
    expect(data).toMatchObject({
      permission: "write",
      role_name: "maintain",
      user: { login: "maintainer" },
    });
    const stranger = await octokit.rest.repos
      .getCollaboratorPermissionLevel({ owner: OWNER, repo: REPO, username: "stranger" })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(statusOf(stranger)).toBe(404);
  });

  it("keeps comments and reactions written by the bot", async () => {
    const octokit = appOctokit();
    await octokit.rest.reactions.createForIssue({
      owner: OWNER,
      repo: REPO,
      issue_number: 1,
      content: "eyes",
    });
    const { data: comment } = await octokit.rest.issues.createComment({
      owner: OWNER,
      repo: REPO,
      issue_number: 1,
      body: "Working on it",
    });
    expect(comment.user?.login).toBe("stamina[bot]");
    expect(comment.html_url).toBe(`${gh.url}/${OWNER}/${REPO}/issues/1#issuecomment-${comment.id}`);
    await octokit.rest.issues.updateComment({
      owner: OWNER,
      repo: REPO,
      comment_id: comment.id,
      body: "Done",
    });
    const { data: listed } = await octokit.rest.issues.listComments({
      owner: OWNER,
      repo: REPO,
      issue_number: 1,
    });
    expect(listed.map((c) => c.body)).toEqual(["Done"]);
    expect(gh.issueComments(OWNER, REPO, 1)).toEqual([
      { id: comment.id, body: "Done", user: "stamina[bot]", updatedCount: 1 },
    ]);
    expect(gh.reactions(OWNER, REPO, 1)).toEqual([
      { id: expect.any(Number) as number, content: "eyes" },
    ]);
  });
});

describe("git smart HTTP", () => {
  const gitEnv = (): Record<string, string> => ({
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: scratch,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: "Test",
    GIT_AUTHOR_EMAIL: "test@example.com",
    GIT_COMMITTER_NAME: "Test",
    GIT_COMMITTER_EMAIL: "test@example.com",
  });
  const git = async (args: string[], cwd = scratch): Promise<string> =>
    (
      await execFileAsync("git", ["-c", "credential.helper=", ...args], { cwd, env: gitEnv() })
    ).stdout.trim();
  const basic = (token: string): string[] => [
    "-c",
    `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`,
  ];
  const cloneUrl = (): string => `${gh.url}/${OWNER}/${REPO}.git`;

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
    const dir = join(scratch, "clone");
    await clone(token, dir, "--no-checkout");
    expect(await git(["config", "remote.origin.promisor"], dir)).toBe("true");
    // The server really filtered: both blobs are missing until checkout fetches them lazily.
    const objects = await git(["rev-list", "--objects", "--missing=print", "HEAD"], dir);
    expect(objects.split("\n").filter((line) => line.startsWith("?"))).toHaveLength(2);
    await git([...basic(token), "checkout", "--quiet", "main"], dir);
    expect(await readFile(join(dir, "README.md"), "utf8")).toBe("# widgets\n");

    const pushed = await commitAndPush(token, dir, "stamina/issue-1");
    expect(await git(["--git-dir", barePath, "rev-parse", "refs/heads/stamina/issue-1"])).toBe(
      pushed,
    );
    expect(gh.refusals).toEqual([]);
  });

  it("inflates gzip request bodies (git compresses requests over 1 KiB)", async () => {
    const branches = Array.from({ length: 40 }, (_, i) => `feature/some-long-branch-name-${i}`);
    for (const branch of branches) await git(["--git-dir", barePath, "branch", branch, "main"]);
    const token = await installationToken();
    const dir = join(scratch, "many");
    await git([...basic(token), "clone", "--quiet", "--mirror", cloneUrl(), dir]);
    expect((await git(["for-each-ref", "refs/heads/"], dir)).split("\n")).toHaveLength(41);
    expect(gh.refusals).toEqual([]);
  });

  it("refuses a clone without credentials, and with an expired token", async () => {
    await expect(git(["clone", "--quiet", cloneUrl(), join(scratch, "anon")])).rejects.toThrow();
    const token = await installationToken();
    clock += 3_600_000 + 1;
    await expect(
      git([...basic(token), "clone", "--quiet", cloneUrl(), join(scratch, "late")]),
    ).rejects.toThrow();
    expect(gh.refusals.map((r) => [r.path, r.authorization, r.status])).toEqual([
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
    const dir = join(scratch, "clone");
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
    expect(pull.html_url).toBe(`${gh.url}/${OWNER}/${REPO}/pull/${pull.number}`);

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
    expect(gh.pulls(OWNER, REPO)).toEqual([
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
    expect(gh.refusals.map((r) => r.status)).toEqual([422, 422]);
  });
});

describe("GraphQL", () => {
  it("answers an invalid query with errors, as GitHub does", async () => {
    const octokit = appOctokit();
    const error = await octokit.graphql("query { viewer { login notAField } }").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      errors: [
        expect.objectContaining({ message: expect.stringContaining("notAField") as string }),
      ],
    });
    expect(gh.refusals.map((r) => [r.path, r.status])).toEqual([["/api/graphql", 200]]);
  });

  it("refuses a valid query it has no resolver for, and answers one it has", async () => {
    const octokit = appOctokit();
    const unimplemented = await octokit.graphql("query Who { viewer { login } }").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(unimplemented).toMatchObject({
      errors: [{ message: "fake GitHub does not implement the GraphQL query Who" }],
    });
    gh.registerGraphQL(/query Who\b/, () => ({ viewer: { login: "stamina[bot]" } }));
    await expect(octokit.graphql("query Who { viewer { login } }")).resolves.toEqual({
      viewer: { login: "stamina[bot]" },
    });
  });
});
