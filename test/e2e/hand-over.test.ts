// `/stamina run` on a pull request, delivered to the app as GitHub sends it
// (the real ingress and command gate, against the fake GitHub):
// an open pull request of this repository starts a round on its own branch,
// which Stamina pushes to though it did not create it, and its reviews count
// from then on; a fork's or a closed pull request is refused in words.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appBesideHarness, type AppBesideHarness } from "../support/app-beside-harness.ts";
import { pushPersonCommit } from "../support/person-commit.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";

let h: Harness;
let app: AppBesideHarness;
beforeEach(async () => {
  h = await startHarness({ "a.txt": "one\n" });
  app = await appBesideHarness(h);
});
afterEach(async () => {
  await app.close();
  await h.close();
});

/** Stamina's comments on the pull request (not the command that asked). */
const staminaComments = (number: number) =>
  h.github.issueComments(OWNER, REPO, number).filter((c) => c.user !== "maintainer");

/** A person's branch `feature` with a commit, and their pull request from it. */
async function humanPullRequest(): Promise<number> {
  pushPersonCommit(h.bare, {
    branch: "feature",
    from: "main",
    files: { "b.txt": "draft\n" },
    message: "Start",
    author: { name: "Dev", email: "dev@example.com" },
  });
  const ref = { installationId: 1, owner: OWNER, repo: REPO };
  const pr = await h.port.openPullRequest(ref, {
    title: "A feature",
    head: "feature",
    base: "main",
    body: "",
    draft: false,
  });
  return pr.number;
}

/**
 * `/stamina run <args>` by a writer on pull request `number`, delivered to the app as GitHub
 * sends it; what Stamina reacted with (👍 "+1" when it took the pull request over).
 */
async function command(number: number, args: string): Promise<string[]> {
  return app.reactions(await app.comment(`/stamina run ${args}`.trim(), { on: number }));
}

describe("/stamina run on a pull request", () => {
  it("hands an open pull request of this repository over: a round on its own branch, built on its commits", async () => {
    const number = await humanPullRequest();
    const before = h.git("rev-parse", "feature");
    expect(await command(number, "Make b.txt say final.")).toEqual(["+1"]);
    expect(await h.store.pulls.isStaminas(OWNER, REPO, number)).toBe(true);
    await h.model([
      reply(
        editFile("b.txt", "draft", "final"),
        toolUse("answer_thread", { thread: 1, outcome: "changed", reply: "b.txt says final." }),
      ),
      reply(text("Done.")),
      reply(text("b.txt says final.")),
    ]);
    const finished = await h.execute(await h.claim(), {}, { progressIntervalMs: 0 });
    expect(finished).toMatchObject({ state: "succeeded", kind: "follow_up", branch: "feature" });
    const head = h.git("rev-parse", "feature");
    expect(h.git("rev-parse", `${head}~1`)).toBe(before);
    expect(h.git("show", `${head}:b.txt`)).toBe("final");
    const [summary] = staminaComments(number);
    expect(summary?.body).toContain("@maintainer's comment: changed and resolved");
  });

  it("refuses a pull request from a fork, in words, and starts nothing", async () => {
    const number = h.github.openForkPull(OWNER, REPO, {
      fork: "someone/demo",
      branch: "patch-1",
      title: "A fix",
    });
    expect(await command(number, "")).toEqual(["confused"]);
    const [said] = staminaComments(number);
    expect(said?.body).toContain("its branch `patch-1` is in the fork `someone/demo`");
    expect(await h.store.runs.list()).toEqual([]);
    expect(await h.store.pulls.isStaminas(OWNER, REPO, number)).toBe(false);
  });

  it("refuses a closed pull request", async () => {
    const number = await humanPullRequest();
    h.github.closePull(OWNER, REPO, number);
    expect(await command(number, "")).toEqual(["confused"]);
    expect(staminaComments(number)[0]?.body).toContain("it is closed");
    expect(await h.store.runs.list()).toEqual([]);
  });
});
