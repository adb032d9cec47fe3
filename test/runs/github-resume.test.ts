// A run resumed on another worker edits what the first attempt showed on
// GitHub rather than adding to it: one pull request, one tracking comment, one
// "Stamina" check run per commit, the audit log's check runs edited when
// published again; and this holds even when the first attempt died between a
// write and storing its id.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { publishAuditLog } from "../../src/surface/audit-checks.ts";
import { LeaseLost } from "../../src/store/leases.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import {
  byStep,
  LEASE_MS,
  OWNER,
  REPO,
  startHarness,
  type Harness,
} from "../support/run-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ "a.txt": "one\n", "check.sh": "grep -q two a.txt\n" });
});
afterEach(() => h.close());

describe("a resumed run on GitHub", () => {
  it("edits the first attempt's pull request, comment and check runs instead of duplicating them", async () => {
    const dying = new AbortController();
    await h.model(
      byStep([
        reply(editFile("a.txt", "one", "two")),
        reply(toolUse("checkpoint", { message: "Make a.txt say two" })),
        () => (dying.abort(new LeaseLost()), reply(toolUse("bash", { command: "true" }))),
        reply(text("Done.")),
        reply(text("a.txt says two.")),
      ]),
    );
    const queued = await h.queue({ test: "sh check.sh" });
    const fast = { progressIntervalMs: 0 };
    const dead = await h.execute(await h.claim("worker-1"), { signal: dying.signal }, fast);
    expect(dead.state).toBe("running");
    expect(h.github.pulls(OWNER, REPO)).toHaveLength(1);
    const firstCheck = h.github.checkRuns(OWNER, REPO).find((c) => c.name === "Stamina");
    expect(firstCheck?.status).toBe("in_progress");

    // The attempt died between its writes and storing their ids.
    await h.store.runs.update(queued.id, {
      checkRun: null,
      pullNumber: null,
      pullUrl: null,
      trackingCommentId: null,
    });
    h.tick(LEASE_MS + 1);
    const resumed = await h.execute(await h.claim("worker-2"), {}, fast);
    expect(resumed).toMatchObject({ state: "succeeded", attempts: 2, pullNumber: 101 });

    expect(h.github.pulls(OWNER, REPO)).toHaveLength(1);
    expect(h.github.pulls(OWNER, REPO)[0]).toMatchObject({ draft: false });
    const comments = h.github.issueComments(OWNER, REPO, 1);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain("verification passed");
    const stamina = h.github.checkRuns(OWNER, REPO).filter((c) => c.name === "Stamina");
    const shas = stamina.map((c) => c.headSha);
    expect(new Set(shas).size).toBe(shas.length); // never two on one commit
    expect(stamina.find((c) => c.id === firstCheck!.id)?.status).toBe("completed");
    expect(stamina.at(-1)).toMatchObject({ status: "completed", conclusion: "success" });

    // Publishing the audit log again edits its check runs.
    const before = h.github
      .checkRuns(OWNER, REPO)
      .filter((c) => c.name.startsWith("Stamina audit"));
    expect(before.length).toBeGreaterThanOrEqual(1);
    await publishAuditLog({ store: h.store, github: h.port, runId: resumed.id });
    const after = h.github.checkRuns(OWNER, REPO).filter((c) => c.name.startsWith("Stamina audit"));
    expect(after.map((c) => c.id)).toEqual(before.map((c) => c.id));
    expect(after.every((c, i) => c.updatedCount === before[i]!.updatedCount + 1)).toBe(true);
  });
});
