// The fake GitHub authenticates like GitHub: app JWTs checked against the app's public key,
// installation tokens minted through createAppAuth that expire on the injected clock, and another
// installation's repository hidden behind a 404.
import { describe, expect, it } from "vitest";
import {
  fakeGitHubPerTest,
  forgerKeys,
  INSTALLATION_ID,
  OWNER,
  REPO,
  statusOf,
} from "./fixture.ts";

const fake = fakeGitHubPerTest();
const { api, appOctokit, installationToken, tick } = fake;

describe("auth like GitHub", () => {
  it("serves a repository to a token minted through createAppAuth", async () => {
    const octokit = appOctokit();
    const { data } = await octokit.rest.repos.get({ owner: OWNER, repo: REPO });
    expect(data).toMatchObject({
      name: REPO,
      full_name: `${OWNER}/${REPO}`,
      owner: { login: OWNER },
      default_branch: "main",
      clone_url: `${fake.gh.url}/${OWNER}/${REPO}.git`,
    });
    const [token] = fake.gh.issuedTokens();
    expect(token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    expect(fake.gh.requests.map((r) => [r.method, r.path, r.authorization, r.status])).toEqual([
      ["POST", `/api/v3/app/installations/${INSTALLATION_ID}/access_tokens`, "jwt", 201],
      ["GET", `/api/v3/repos/${OWNER}/${REPO}`, "token", 200],
    ]);
    expect(JSON.stringify(fake.gh.requests)).not.toContain(token);
    expect(fake.gh.refusals).toEqual([]);
  });

  it("refuses an installation token once the injected clock passes its expiry", async () => {
    const token = await installationToken();
    expect((await api(`/repos/${OWNER}/${REPO}`, { token })).status).toBe(200);
    tick(3_600_000 + 1);
    const res = await api(`/repos/${OWNER}/${REPO}`, { token });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ message: "Bad credentials" });
    expect(fake.gh.refusals.map((r) => [r.path, r.status])).toEqual([
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
    expect(fake.gh.issuedTokens()).toEqual([]);
    expect(fake.gh.refusals.map((r) => [r.path, r.authorization, r.status])).toEqual([
      [`/api/v3/app/installations/${INSTALLATION_ID}/access_tokens`, "jwt", 401],
    ]);
  });

  it("hides another installation's repository behind a 404", async () => {
    fake.gh.addInstallation(88, "other");
    await fake.gh.createRepository({
      owner: "other",
      name: "secret",
      installationId: 88,
      files: { a: "b" },
    });
    const token = await installationToken();
    expect((await api("/repos/other/secret", { token })).status).toBe(404);
    expect(fake.gh.refusals.map((r) => r.status)).toEqual([404]);
  });
});
