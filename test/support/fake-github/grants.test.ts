// Installation tokens as narrow as they were asked for, as GitHub enforces them: a token names
// its repositories and its permissions; another repository is a 404, a permission it lacks a
// 403, over REST, GraphQL and git alike; asking for more than the installation has is a 422.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gitWithToken } from "./git.ts";
import { fakeGitHubPerTest, INSTALLATION_ID, OWNER, REPO, type TokenNarrowing } from "./fixture.ts";

const fake = fakeGitHubPerTest();
const { api, installationToken } = fake;

const OTHER = "gadgets";
async function secondRepository(): Promise<number> {
  await fake.gh.createRepository({
    owner: OWNER,
    name: OTHER,
    installationId: INSTALLATION_ID,
    files: { "README.md": "# gadgets\n" },
  });
  const token = await installationToken();
  const res = await api(`/repos/${OWNER}/${OTHER}`, { token });
  return ((await res.json()) as { id: number }).id;
}

const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

describe("narrowed installation tokens", () => {
  it("reach only the repository they name, with only the permissions they asked for", async () => {
    const otherId = await secondRepository();
    const token = await installationToken({
      repositoryNames: [REPO],
      permissions: { issues: "write" },
    });
    expect((await api(`/repos/${OWNER}/${REPO}`, { token })).status).toBe(200);
    const comment = { method: "POST", body: JSON.stringify({ body: "hi" }), token };
    expect((await api(`/repos/${OWNER}/${REPO}/issues/1/comments`, comment)).status).toBe(201);

    // Another repository of the same installation does not exist for this token.
    const elsewhere = await api(`/repos/${OWNER}/${OTHER}/issues/1/comments`, comment);
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toMatchObject({ message: "Not Found" });

    // A permission it did not ask for is refused as GitHub refuses it.
    const pull = { title: "t", head: "main", base: "main" };
    const pulls = await api(`/repos/${OWNER}/${REPO}/pulls`, {
      method: "POST",
      body: JSON.stringify(pull),
      token,
    });
    expect(pulls.status).toBe(403);
    expect(await pulls.json()).toMatchObject({ message: "Resource not accessible by integration" });

    const grants = fake.gh.tokenGrants();
    expect(grants.at(-1)).toEqual({
      token,
      installationId: INSTALLATION_ID,
      repositories: [`${OWNER}/${REPO}`],
      permissions: { metadata: "read", issues: "write" },
    });
    // Named by id, the same.
    const byId = await installationToken({ repositoryIds: [otherId], permissions: {} });
    expect((await api(`/repos/${OWNER}/${OTHER}`, { token: byId })).status).toBe(200);
    expect((await api(`/repos/${OWNER}/${REPO}`, { token: byId })).status).toBe(404);
  });

  it("gives a token that asks for nothing in particular everything the installation has", async () => {
    await installationToken();
    fake.gh.grantWorkflows(INSTALLATION_ID);
    await installationToken({ repositoryNames: [REPO], permissions: { workflows: "write" } });
    const [wide, workflows] = fake.gh.tokenGrants();
    // app.yml's default_permissions.
    expect(wide).toMatchObject({
      repositories: "all",
      permissions: {
        contents: "write",
        issues: "write",
        pull_requests: "write",
        checks: "write",
        metadata: "read",
      },
    });
    expect(workflows?.permissions).toEqual({ metadata: "read", workflows: "write" });
  });

  it("refuses with 422 a permission the installation lacks, or a repository outside it", async () => {
    fake.gh.addInstallation(88, "other");
    await fake.gh.createRepository({
      owner: "other",
      name: "secret",
      installationId: 88,
      files: {},
    });
    const refused: TokenNarrowing[] = [
      { permissions: { workflows: "write" } },
      { permissions: { administration: "read" } },
      { repositoryNames: ["secret"] },
      { repositoryNames: ["nonexistent"] },
    ];
    for (const narrowing of refused) {
      expect(await failure(installationToken(narrowing))).toMatchObject({ status: 422 });
    }
    expect(fake.gh.tokenGrants()).toEqual([]);
  });

  it("holds GraphQL to the token's repository and permissions", async () => {
    const query = `query($owner: String!, $name: String!) {
      repository(owner: $owner, name: $name) { pullRequest(number: 1) { reviewThreads(first: 1) { totalCount } } }
    }`;
    const ask = async (token: string) => {
      const res = await fetch(`${fake.gh.url}/api/graphql`, {
        method: "POST",
        headers: { authorization: `token ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ query, variables: { owner: OWNER, name: REPO } }),
      });
      return (await res.json()) as { errors?: Array<{ message: string }> };
    };
    const issuesOnly = await installationToken({ permissions: { issues: "read" } });
    expect((await ask(issuesOnly)).errors?.[0]?.message).toBe(
      "Resource not accessible by integration",
    );
    await secondRepository();
    const elsewhere = await installationToken({
      repositoryNames: [OTHER],
      permissions: { pull_requests: "read" },
    });
    expect((await ask(elsewhere)).errors?.[0]?.message).toMatch(
      /^Could not resolve to a Repository with the name/,
    );
  });

  it("lets git fetch with contents read, push only with contents write, on its repositories", async () => {
    await secondRepository();
    const git = (token: string, ...args: string[]) => gitWithToken(token, fake.scratch)(...args);
    const url = (name: string) => `${fake.gh.url}/${OWNER}/${name}.git`;
    const reader = await installationToken({
      repositoryNames: [REPO],
      permissions: { contents: "read" },
    });
    const dir = join(fake.scratch, "clone");
    await git(reader, "clone", "--quiet", url(REPO), dir);
    const push = await failure(
      git(reader, "-C", dir, "push", "--quiet", url(REPO), "HEAD:refs/heads/x"),
    );
    expect(String((push as { stderr?: string }).stderr)).toMatch(/403/);
    const writer = await installationToken({
      repositoryNames: [REPO],
      permissions: { contents: "write" },
    });
    await git(writer, "-C", dir, "push", "--quiet", url(REPO), "HEAD:refs/heads/x");
    const other = await failure(
      git(writer, "-C", dir, "push", "--quiet", url(OTHER), "HEAD:refs/heads/x"),
    );
    expect(String((other as { stderr?: string }).stderr)).toMatch(/not found|404/i);
  });
});
