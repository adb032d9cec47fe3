// The fake's Git Data API holds GitHub's lines: trees over a base (inline text, blobs by sha,
// modes, deletions), commits left to GitHub signed and verified and ones naming an author not,
// a ref update without force refused unless it is a fast-forward, and a ruleset requiring
// signatures refusing an unsigned commit.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { fakeGitHubPerTest, OWNER, REPO } from "./fixture.ts";

const fake = fakeGitHubPerTest();

const git = (...args: string[]) =>
  execFileSync("git", ["--git-dir", fake.barePath, ...args], { encoding: "utf8" }).trim();

async function post(path: string, body: unknown, method = "POST") {
  const token = await fake.installationToken();
  const res = await fake.api(`/repos/${OWNER}/${REPO}/git/${path}`, {
    method,
    token,
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function commitOnMain(tree: unknown[], extra: Record<string, unknown> = {}) {
  const main = git("rev-parse", "main");
  const made = await post("trees", { base_tree: git("rev-parse", "main^{tree}"), tree });
  expect(made.status).toBe(201);
  const commit = await post("commits", {
    message: "Change\n\nCo-authored-by: x <x@example.com>\n",
    tree: made.body.sha,
    parents: [main],
    ...extra,
  });
  expect(commit.status).toBe(201);
  return { main, sha: String(commit.body.sha), body: commit.body };
}

describe("the fake's Git Data API", () => {
  it("makes trees over a base and commits GitHub signs, and moves a branch forward only", async () => {
    const blob = await post("blobs", {
      content: Buffer.from([0, 255]).toString("base64"),
      encoding: "base64",
    });
    expect(blob.status).toBe(201);
    const { main, sha, body } = await commitOnMain([
      { path: "docs/new.txt", mode: "100644", type: "blob", content: "new\n" },
      { path: "bin.dat", mode: "100755", type: "blob", sha: blob.body.sha },
      { path: "link", mode: "120000", type: "blob", content: "README.md" },
      { path: "README.md", mode: "100644", type: "blob", sha: null },
    ]);
    expect(body.verification).toMatchObject({ verified: true, reason: "valid" });
    expect(body.committer).toMatchObject({ name: "GitHub", email: "noreply@github.com" });
    expect(fake.gh.isVerified(sha)).toBe(true);
    const tree = git("ls-tree", "-r", sha);
    expect(tree).toMatch(/^100755 blob \S+\tbin\.dat$/m);
    expect(tree).toMatch(/^120000 blob \S+\tlink$/m);
    expect(tree).toMatch(/^100644 blob \S+\tdocs\/new\.txt$/m);
    expect(tree).not.toMatch(/\tREADME\.md$/m);
    expect(git("cat-file", "commit", sha)).toMatch(/^gpgsig /m);

    const created = await post("refs", { ref: "refs/heads/topic", sha: main });
    expect(created.status).toBe(201);
    expect((await post("refs", { ref: "refs/heads/topic", sha })).body.message).toBe(
      "Reference already exists",
    );
    expect((await post("refs/heads/topic", { sha, force: false }, "PATCH")).status).toBe(200);
    const back = await post("refs/heads/topic", { sha: main, force: false }, "PATCH");
    expect(back).toMatchObject({ status: 422, body: { message: "Update is not a fast forward" } });
    expect(git("rev-parse", "topic")).toBe(sha);
  });

  it("leaves a commit naming its author unsigned, which a ruleset requiring signatures refuses", async () => {
    fake.gh.requireSignatures(OWNER, REPO);
    const author = { name: "Someone", email: "s@example.com" };
    const { sha, body } = await commitOnMain(
      [{ path: "x.txt", mode: "100644", type: "blob", content: "x\n" }],
      { author },
    );
    expect(body.verification).toMatchObject({ verified: false, reason: "unsigned" });
    const refused = await post("refs", { ref: "refs/heads/unsigned", sha });
    expect(refused.status).toBe(422);
    expect(String(refused.body.message)).toContain("Commits must have verified signatures");
    expect(git("branch", "--list", "unsigned")).toBe("");
  });
});
