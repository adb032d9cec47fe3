// A run end to end, in process, with every token narrowed: the fake GitHub enforces each
// token's repositories and permissions as GitHub does, and the run still opens its pull
// request, with each token it used naming its one repository and git's holding only contents.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({
    "a.txt": "one\n",
    "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
  });
});
afterEach(() => h.close());

describe("a run's tokens", () => {
  it("each name the run's one repository, and git's may only touch contents", async () => {
    await h.model([
      reply(toolUse("update_plan", { plan: ["Make a.txt say two"] })),
      reply(editFile("a.txt", "one", "two")),
      reply(text("Changed a.txt.")),
      reply(text("a.txt says two now, as the issue asks.")),
    ]);
    await h.queue({ test: "sh check.sh" });
    const finished = await h.execute(await h.claim());
    expect(finished.state).toBe("succeeded");
    const [pull] = h.github.pulls(OWNER, REPO);
    expect(pull?.draft).toBe(false);
    expect(h.github.checkRuns(OWNER, REPO).length).toBeGreaterThan(0);

    const grants = h.github.tokenGrants();
    expect(grants.length).toBeGreaterThan(3);
    for (const grant of grants) expect(grant.repositories).toEqual([`${OWNER}/${REPO}`]);
    const git = grants.filter((g) => "contents" in g.permissions);
    expect(git.length).toBeGreaterThan(0);
    // Writes (GitHub's commits and the branch) with contents: write; fetches with read.
    for (const grant of git) {
      expect(Object.keys(grant.permissions).sort()).toEqual(["contents", "metadata"]);
      expect(grant.permissions.metadata).toBe("read");
      expect(["read", "write"]).toContain(grant.permissions.contents);
    }
    expect(git.some((g) => g.permissions.contents === "write")).toBe(true);
    // Nothing else held more than one permission beside metadata.
    for (const grant of grants) {
      expect(Object.keys(grant.permissions).filter((p) => p !== "metadata").length).toBeLessThan(2);
    }
    // No call was refused for its token.
    expect(h.github.refusals.filter((r) => r.status === 403 || r.status === 404)).toEqual([]);
  });
});
