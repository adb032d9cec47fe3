// A worker that died while the audit log's check runs were written (found by the fault suite,
// test/faults). Between making one on GitHub and storing its id: the part already on the commit
// is found by its external id and edited, not made a second time. After the run's log ended it
// (`run.finished`) but before the store kept the end: the next attempt ends the run as the log
// says, with the check runs finished, and does nothing else again (it used to finish the run a
// second time: two `run.finished`, the pull request and the labels written again).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GitHubPort } from "../../src/github/types.ts";
import { publishAuditLog } from "../../src/surface/audit-checks.ts";
import { editFile, reply, text } from "../support/model-server/index.ts";
import { LEASE_MS, OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({
    "a.txt": "one\n",
    "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
  });
});
afterEach(() => h.close());

/** GitHub as a worker killed at the audit log's check run sees it: the request never answered. */
function dyingAtAuditChecks(port: GitHubPort): { port: GitHubPort; reached: Promise<void> } {
  let reached!: () => void;
  const at = new Promise<void>((resolve) => (reached = resolve));
  const createCheckRun: GitHubPort["createCheckRun"] = (ref, sha, check) => {
    if (!check.name.startsWith("Stamina audit log")) return port.createCheckRun(ref, sha, check);
    reached();
    return new Promise(() => {});
  };
  const dying = { ...port, createCheckRun };
  return { port: dying, reached: at };
}

/** A run that edits a.txt, its check passing: queued, its model's script ready. */
async function queueTheEdit(): Promise<void> {
  await h.model([
    reply(editFile("a.txt", "one", "two")),
    reply(text("Changed a.txt.")),
    reply(text("a.txt says two now.")),
  ]);
  await h.queue({ test: "sh check.sh" });
}

const auditChecks = () =>
  h.github.checkRuns(OWNER, REPO).filter((c) => c.name.startsWith("Stamina audit log"));

describe("the audit log's check runs published again", () => {
  it("edits the part a dead worker made but did not store, rather than making it twice", async () => {
    await queueTheEdit();
    const run = await h.execute(await h.claim());
    expect(run.state).toBe("succeeded");
    expect(auditChecks()).toHaveLength(1);
    const [made] = auditChecks();

    // As a worker killed after GitHub made the check run and before the store kept its id.
    await h.store.runs.update(run.id, { auditCheckRuns: null });
    await publishAuditLog({ store: h.store, github: h.port, runId: run.id });

    expect(auditChecks()).toHaveLength(1);
    expect(auditChecks()[0]?.id).toBe(made?.id);
    expect((await h.store.runs.mustGet(run.id)).auditCheckRuns?.ids).toEqual([made?.id]);
  });
});

describe("a run whose log already ends it", () => {
  it("ends as its log says on the next attempt, without finishing it again", async () => {
    await queueTheEdit();
    const first = await h.claim("worker-1");
    const dying = dyingAtAuditChecks(h.port);
    void h.execute(first, {}, { github: dying.port });
    await dying.reached;

    const events = await h.store.audit.events(first.id);
    expect(events.filter((e) => e.type === "run.finished")).toHaveLength(1);
    expect((await h.store.runs.mustGet(first.id)).state).toBe("finishing");
    const writes = h.github.requests.length;
    const labels = h.github.labels(OWNER, REPO, 1);
    const comment = h.comment();
    const pull = h.github.pulls(OWNER, REPO);

    h.tick(LEASE_MS + 1);
    const again = await h.execute(await h.claim("worker-2"));

    expect(again.state).toBe("succeeded");
    expect(again.outcome).toBe("pull request opened, verification passed");
    const after = await h.store.audit.events(first.id);
    expect(after.filter((e) => e.type === "run.finished")).toHaveLength(1);
    // Nothing recorded after the end but the audit log's check runs being published.
    expect(after.filter((e) => e.type === "run.claimed")).toHaveLength(1);
    expect(after.at(-1)?.type).toBe("run.finished");
    expect(auditChecks()).toHaveLength(1);
    expect(auditChecks()[0]?.status).toBe("completed");
    // The second attempt wrote on GitHub only the audit log's check run.
    const written = h.github.requests
      .slice(writes)
      .filter((r) => r.method !== "GET")
      .map((r) => `${r.method} ${r.path.replace(/\d+/g, "N")}`);
    expect(written.every((w) => w.includes("/check-runs") || w.includes("/access_tokens"))).toBe(
      true,
    );
    expect(h.github.labels(OWNER, REPO, 1)).toEqual(labels);
    expect(h.comment()).toBe(comment);
    expect(h.github.pulls(OWNER, REPO)).toEqual(pull);
  });
});
