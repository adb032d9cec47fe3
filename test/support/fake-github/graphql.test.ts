// The fake GitHub's GraphQL endpoint: a query GitHub's schema refuses gets GitHub's errors, and a
// valid one the fake has no resolver for is refused by name, never answered with made-up data.
import { describe, expect, it } from "vitest";
import { fakeGitHubPerTest } from "./fixture.ts";

const fake = fakeGitHubPerTest();
const { appOctokit } = fake;

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
    expect(fake.gh.refusals.map((r) => [r.path, r.status])).toEqual([["/api/graphql", 200]]);
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
    fake.gh.registerGraphQL(/query Who\b/, () => ({ viewer: { login: "stamina[bot]" } }));
    await expect(octokit.graphql("query Who { viewer { login } }")).resolves.toEqual({
      viewer: { login: "stamina[bot]" },
    });
  });
});
