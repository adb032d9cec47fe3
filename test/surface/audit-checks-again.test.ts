// The audit log's check runs published again after a worker died between making one on GitHub
// and storing its id: the part already on the commit is found by its external id and edited,
// not made a second time. Found by the fault suite (test/faults): a worker killed while the
// audit log's check run was written left the next attempt to make "Stamina audit log" twice.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { publishAuditLog } from "../../src/surface/audit-checks.ts";
import { editFile, reply, text } from "../support/model-server/index.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({
    "a.txt": "one\n",
    "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
  });
});
afterEach(() => h.close());

const auditChecks = () =>
  h.github.checkRuns(OWNER, REPO).filter((c) => c.name.startsWith("Stamina audit log"));

describe("the audit log's check runs published again", () => {
  it("edits the part a dead worker made but did not store, rather than making it twice", async () => {
    await h.model([
      reply(editFile("a.txt", "one", "two")),
      reply(text("Changed a.txt.")),
      reply(text("a.txt says two now.")),
    ]);
    await h.queue({ test: "sh check.sh" });
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
