// The fake GitHub's REST API holds the line the real one holds: a route GitHub does not have is
// a 404, one the fake lacks a 501, a body its operation's schema refuses a 422; and the routes
// the app relies on (contents, Probot's config, permissions, comments) answer as GitHub does.
import { createAppAuth } from "@octokit/auth-app";
import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import {
  APP_ID,
  appKeys,
  fakeGitHubPerTest,
  INSTALLATION_ID,
  OWNER,
  REPO,
  silentLog,
  statusOf,
} from "./fixture.ts";
import { implementedRoutes } from "./index.ts";
import { loadOpenApi } from "./openapi.ts";

const fake = fakeGitHubPerTest();
const { api, appOctokit, installationToken } = fake;

describe("REST routes are GitHub's", () => {
  it("refuses a route GitHub does not have with 404", async () => {
    const res = await api(`/repos/${OWNER}/${REPO}/not-a-thing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ message: "Not Found" });
    expect(fake.gh.refusals).toEqual([
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
    expect(fake.gh.refusals.map((r) => r.status)).toEqual([501]);
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
    expect(fake.gh.reactions(OWNER, REPO, 1)).toEqual([]);
    expect(fake.gh.refusals.map((r) => r.status)).toEqual([422, 422, 422]);
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
    expect(fake.gh.refusals).toEqual([]);
  });

  it("answers Probot's config lookup, including its org fallback", async () => {
    const octokit = new ProbotOctokit({
      authStrategy: createAppAuth,
      auth: { appId: APP_ID, privateKey: appKeys.privateKey, installationId: INSTALLATION_ID },
      baseUrl: fake.gh.apiUrl,
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
    expect(fake.gh.requests.at(-1)).toMatchObject({
      path: `/api/v3/repos/${OWNER}/.github/contents/.github%2Fabsent.yml`,
      status: 404,
    });
    expect(fake.gh.refusals).toEqual([]);
  });

  it("reports legacy permission and role name, and 404 for a user it does not know", async () => {
    fake.gh.setPermission(OWNER, REPO, "maintainer", "maintain");
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
    expect(comment.html_url).toBe(
      `${fake.gh.url}/${OWNER}/${REPO}/issues/1#issuecomment-${comment.id}`,
    );
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
    expect(fake.gh.issueComments(OWNER, REPO, 1)).toEqual([
      { id: comment.id, body: "Done", user: "stamina[bot]", updatedCount: 1 },
    ]);
    expect(fake.gh.reactions(OWNER, REPO, 1)).toEqual([
      { id: expect.any(Number) as number, content: "eyes" },
    ]);
  });
});
