// The installation client as the worker uses it, against the fake GitHub:
// Octokit's throttling waits out a secondary rate limit (the Retry-After
// GitHub sends) and its retry plugin repeats a write GitHub failed with a
// 5xx, so one write lands once. Tests elsewhere turn both off.
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGitHubClients } from "../../src/github/client.ts";
import { createGitHubPort } from "../../src/github/port.ts";
import { appKeyPair } from "../support/app-keys.ts";
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

function port() {
  const log = pino({ level: "warn" }, { write: (line: string) => void warnings.push(line) });
  const clients = createGitHubClients({
    appId: 1,
    privateKey: keys.privateKey,
    baseUrl: github.apiUrl,
    log,
  });
  return createGitHubPort(clients, github.url);
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
