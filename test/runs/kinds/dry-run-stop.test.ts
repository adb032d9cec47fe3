// A dry run stopped while it works pushes nothing, where a run would push the
// work so far: no branch, no pull request, and the tracking comment says why.
import { execFileSync } from "node:child_process";
import { afterEach, expect, it } from "vitest";
import { parseRepoConfig } from "../../../src/policy/config.ts";
import { CancelRequested } from "../../../src/runs/interruptions.ts";
import { editFile, reply, text } from "../../support/model-server/index.ts";
import { OWNER, REPO, startHarness, type Harness } from "../../support/run-harness.ts";

let h: Harness;
afterEach(() => h.close());

it("a dry run stopped mid-way pushes nothing and says it was a dry run", async () => {
  h = await startHarness({ "a.txt": "one\n" });
  const ref = { installationId: 1, owner: OWNER, repo: REPO };
  const created = await h.store.runs.create({
    ...ref,
    issueNumber: 1,
    issueTitle: "Make it two",
    issueBody: "a.txt should say two",
    requestedBy: "maintainer",
    deliveryId: "d1",
    config: parseRepoConfig({}),
    dryRun: true,
  });
  if (!created.created) throw new Error("unreachable");
  const { id } = await h.port.createComment(ref, 1, "tracking");
  await h.store.runs.update(created.run.id, { trackingCommentId: id });

  const stop = new AbortController();
  await h.model([
    reply(editFile("a.txt", "one", "two")),
    () => {
      stop.abort(new CancelRequested("@maintainer", "asked with `/stamina stop`"));
      return reply(text("Changed a.txt."));
    },
  ]);
  const run = await h.execute(await h.claim(), { signal: stop.signal });

  expect(run).toMatchObject({ state: "cancelled", pullNumber: null });
  const branches = execFileSync("git", ["--git-dir", h.bare, "branch"], { encoding: "utf8" });
  expect(branches).toBe("* main\n");
  expect(h.github.pulls(OWNER, REPO)).toEqual([]);
  expect(h.comment()).toContain("🛑 Stamina stopped: @maintainer asked with `/stamina stop`.");
  expect(h.comment()).toContain("It was a dry run, so nothing was pushed.");
  const stopped = (await h.store.audit.events(run.id)).find((e) => e.type === "run.stopped");
  expect(stopped?.data).toMatchObject({ pushed: null });
});
