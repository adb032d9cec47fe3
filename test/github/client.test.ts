// The installation client as the worker uses it, against the fake GitHub:
// Octokit's throttling waits out a secondary rate limit (the Retry-After
// GitHub sends) and its retry plugin repeats a write GitHub failed with a
// 5xx, so one write lands once. Tests elsewhere turn both off. Every call, and git, gets a
// token for the one repository with only the permission it needs.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createGitHubClients } from "../../src/github/client.ts";
import { createGitHubPort } from "../../src/github/port.ts";
import { appKeyPair } from "../support/app-keys.ts";
import { gitWithToken } from "../support/fake-github/git.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";

const keys = appKeyPair();
const ref = { installationId: 1, owner: "octo", repo: "demo" };
let github: FakeGitHub;
const warnings: string[] = [];

beforeEach(async () => {
  github = await startFakeGitHub({ appId: 1, appPublicKeyPem: keys.publicKey });
  github.addInstallation(1, "octo");
  await github.createRepository({ owner: "octo", name: "demo", installationId: 1, files: {} });
});
afterEach(() => github.close());

const minted: string[] = [];
function clientsOf(
  retries?: boolean,
  log = pino({ level: "warn" }, { write: (line: string) => void warnings.push(line) }),
) {
  return createGitHubClients({
    appId: 1,
    privateKey: keys.privateKey,
    baseUrl: github.apiUrl,
    log,
    ...(retries === undefined ? {} : { retries }),
    onToken: (token) => minted.push(token),
  });
}

function port() {
  return createGitHubPort(clientsOf(), github.url);
}

const posts = (path: RegExp) =>
  github.requests.filter((r) => r.method === "POST" && path.test(r.path));

describe("the installation client", () => {
  it("waits out a secondary rate limit and writes once", async () => {
    const comments = /\/issues\/1\/comments$/;
    github.failNext("POST", comments, {
      status: 403,
      body: {
        message:
          "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
      },
      headers: { "retry-after": "1" },
    });
    const { id } = await port().createComment(ref, 1, "progress");
    expect(github.issueComments("octo", "demo", 1).map((c) => c.id)).toEqual([id]);
    expect(posts(comments).map((r) => r.status)).toEqual([403, 201]);
    expect(warnings.join("")).toContain("secondary rate limit");
  });

  it("repeats a write GitHub failed with a 502", async () => {
    github.failNext("POST", /\/labels$/, { status: 502, body: { message: "Server Error" } });
    await port().ensureLabel(ref, { name: "stamina:working", color: "fbca04", description: "" });
    expect(github.labels("octo", "demo")).toEqual(["stamina:working"]);
    expect(posts(/\/labels$/).map((r) => r.status)).toEqual([502, 201]);
  });
});

describe("the request log", () => {
  it("says a 404 GitHub answered at debug (its caller expects it) and a failure at error", async () => {
    const lines: { level: number; msg: string }[] = [];
    const log = pino(
      { level: "debug" },
      {
        write: (line: string) =>
          void lines.push(JSON.parse(line) as { level: number; msg: string }),
      },
    );
    const clients = clientsOf(false, log);
    // The label is looked up first: not there yet, GitHub answers 404, and it is made.
    await createGitHubPort(clients, github.url).ensureLabel(ref, {
      name: "stamina:working",
      color: "fbca04",
      description: "",
    });
    const missing = lines.filter((l) => / - 404 with id /.test(l.msg));
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.every((l) => l.level === 20)).toBe(true);
    github.failNext("POST", /\/comments$/, { status: 500, body: { message: "Server Error" } });
    await expect(
      createGitHubPort(clients, github.url).createComment(ref, 1, "x"),
    ).rejects.toThrow();
    expect(lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual([
      expect.stringMatching(/^POST \S+ - 500 with id /),
    ]);
  });
});

describe("narrowed tokens", () => {
  beforeEach(async () => {
    minted.length = 0;
    await github.createRepository({ owner: "octo", name: "other", installationId: 1, files: {} });
  });

  it("sends each call with a token for its repository and the permission it needs", async () => {
    const clients = clientsOf(false);
    const gh = createGitHubPort(clients, github.url);
    await gh.createComment(ref, 1, "progress");
    await gh.issueLabels(ref, 1);
    await gh.findCheckRuns(ref, "main", "Stamina");
    expect(await gh.defaultBranch(ref)).toBe("main");
    const grants = github.tokenGrants();
    expect(grants.map((g) => g.repositories)).toEqual(grants.map(() => ["octo/demo"]));
    expect(grants.map((g) => g.permissions)).toEqual([
      // The repository's id, looked up once.
      { metadata: "read" },
      { metadata: "read", issues: "write" },
      { metadata: "read", issues: "read" },
      { metadata: "read", checks: "read" },
      // The repository itself, by id now.
      { metadata: "read" },
    ]);
    // Every token joined the caller's secrets (the redactor, in the app).
    expect(minted).toEqual(github.issuedTokens());

    // A call nobody declared a permission for is refused before it asks for any token.
    const undeclared = await clients
      .forRepository(ref)
      .request("GET /repos/{owner}/{repo}/branches", { owner: "octo", repo: "demo" })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(String(undeclared)).toContain(
      "no permission is declared for GET /repos/{owner}/{repo}/branches",
    );
    expect(github.tokenGrants()).toHaveLength(grants.length);
  });

  it("sends a call again when GitHub does not yet accept its new token", async () => {
    const gh = createGitHubPort(clientsOf(false), github.url);
    const badCredentials = {
      message: "Bad credentials",
      documentation_url: "https://docs.github.com/rest",
    };
    github.failNext("POST", /\/issues\/1\/comments$/, { status: 401, body: badCredentials }, 2);
    await gh.createComment(ref, 1, "progress");
    expect(posts(/\/issues\/1\/comments$/)).toHaveLength(3);
    expect(github.issueComments("octo", "demo", 1).map((c) => c.body)).toEqual(["progress"]);
    // A token this process has had for long is not retried: its 401 is the answer.
    github.failNext("POST", /\/issues\/1\/comments$/, { status: 401, body: badCredentials }, 1);
    const realNow = performance.now.bind(performance);
    vi.spyOn(performance, "now").mockImplementation(() => realNow() + 60_000);
    const late = await gh.createComment(ref, 1, "late").then(
      () => undefined,
      (e: unknown) => e,
    );
    vi.restoreAllMocks();
    expect((late as { status?: number }).status).toBe(401);
    expect(posts(/\/issues\/1\/comments$/)).toHaveLength(4);
  });

  it("gives git a token that reaches only contents, of only its repository", async () => {
    const clients = clientsOf(false);
    const token = await clients.gitToken(ref);
    expect(github.tokenGrants().at(-1)).toMatchObject({
      token,
      repositories: ["octo/demo"],
      permissions: { metadata: "read", contents: "write" },
    });
    expect(minted).toContain(token);

    const comment = await fetch(`${github.apiUrl}/repos/octo/demo/issues/1/comments`, {
      method: "POST",
      headers: { authorization: `token ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ body: "from git's token" }),
    });
    expect(comment.status).toBe(403);
    expect(github.issueComments("octo", "demo", 1)).toEqual([]);

    const dir = await mkdtemp(join(tmpdir(), "git-token-"));
    try {
      const withToken = gitWithToken(token, dir);
      const git = (...args: string[]) =>
        withToken("-c", "user.name=T", "-c", "user.email=t@example.com", ...args);
      await git("init", "--quiet", "-b", "stamina/x");
      await git("commit", "--quiet", "--allow-empty", "-m", "x");
      await git("push", "--quiet", `${github.url}/octo/demo.git`, "stamina/x");
      const elsewhere = await git(
        "push",
        "--quiet",
        `${github.url}/octo/other.git`,
        "stamina/x",
      ).then(
        () => undefined,
        (e: unknown) => e as { stderr: string },
      );
      expect(elsewhere?.stderr).toMatch(/not found/i);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("adds workflows to git's token only where the installation granted it", async () => {
    github.grantWorkflows(1);
    await clientsOf(false).gitToken(ref);
    expect(github.tokenGrants().at(-1)?.permissions).toEqual({
      metadata: "read",
      contents: "write",
      workflows: "write",
    });
  });
});
