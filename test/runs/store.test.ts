// The store on real SQLite: one active run per issue, atomic claims with
// leases, and an audit chain that verifies and holds no secret.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyChain } from "../../src/audit/verify.ts";
import { createRedactor } from "../../src/observability/redact.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";
import { openStore } from "../../src/runs/open-store.ts";
import type { Store } from "../../src/runs/store.ts";
import type { NewRun } from "../../src/runs/types.ts";

let store: Store;
let now: Date;

beforeEach(async () => {
  now = new Date("2026-11-21T10:00:00Z");
  store = await openStore({
    sqlitePath: ":memory:",
    redactor: createRedactor(["super-secret-value"]),
    clock: () => now,
  });
});
afterEach(() => store.close());

const newRun = (issueNumber = 1): NewRun => ({
  installationId: 7,
  owner: "octo",
  repo: "demo",
  issueNumber,
  issueTitle: "Fix it",
  issueBody: "Please",
  requestedBy: "maintainer",
  deliveryId: `d-${issueNumber}-${Math.random()}`,
  config: parseRepoConfig({}),
});

describe("runs", () => {
  it("keeps one active run per issue, and frees the slot when the run ends", async () => {
    const first = await store.createRun(newRun());
    expect(first.created).toBe(true);
    const second = await store.createRun(newRun());
    expect(second).toMatchObject({ created: false });
    if (second.created || !first.created) throw new Error("unreachable");
    expect(second.active.id).toBe(first.run.id);
    expect((await store.createRun(newRun(2))).created).toBe(true);

    await store.finishRun(first.run.id, "succeeded", "done");
    expect((await store.createRun(newRun())).created).toBe(true);
  });

  it("gives a queued run to one worker only", async () => {
    await store.createRun(newRun());
    const a = await store.claimNextRun("worker-a", 60_000);
    const b = await store.claimNextRun("worker-b", 60_000);
    expect(a?.leaseOwner).toBe("worker-a");
    expect(a?.state).toBe("preparing");
    expect(b).toBeUndefined();
  });

  it("hands a run whose lease expired to another worker, and the first loses its heartbeat", async () => {
    await store.createRun(newRun());
    const a = await store.claimNextRun("worker-a", 60_000);
    now = new Date(now.getTime() + 30_000);
    expect(await store.claimNextRun("worker-b", 60_000)).toBeUndefined();
    now = new Date(now.getTime() + 31_000);
    const b = await store.claimNextRun("worker-b", 60_000);
    expect(b?.id).toBe(a?.id);
    expect(b?.attempts).toBe(2);
    expect(await store.heartbeat(a!.id, "worker-a", 60_000)).toBe(false);
    expect(await store.heartbeat(a!.id, "worker-b", 60_000)).toBe(true);
  });
});

describe("deliveries", () => {
  it("reports a redelivered id as a duplicate", async () => {
    const d = { id: "abc", event: "issues", action: "labeled", installationId: 1, payload: "{}" };
    expect(await store.recordDelivery(d)).toBe("new");
    expect(await store.recordDelivery(d)).toBe("duplicate");
    expect(await store.unhandledDeliveries()).toHaveLength(1);
    await store.markDeliveryHandled("abc", "ok");
    expect(await store.unhandledDeliveries()).toHaveLength(0);
    expect(await store.deliveryOutcome("abc")).toBe("ok");
  });
});

describe("audit events", () => {
  it("chain in order across appends, verify, and are redacted before hashing", async () => {
    const created = await store.createRun(newRun());
    if (!created.created) throw new Error("unreachable");
    const id = created.run.id;
    await store.appendAudit(id, [{ type: "a", data: { n: 1 } }]);
    await store.appendAudit(id, [
      { type: "b", data: { output: "token super-secret-value here" } },
      {
        type: "c",
        data: { auth: "Authorization: Bearer ghs_abcdefghijklmnopqrstuvwxyz0123456789" },
      },
    ]);
    const events = await store.auditEvents(id);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(verifyChain(events)).toMatchObject({ ok: true, count: 3, head: events[2]!.hash });
    expect(await store.auditHead(id)).toBe(events[2]!.hash);
    const text = JSON.stringify(events);
    expect(text).not.toContain("super-secret-value");
    expect(text).not.toContain("ghs_abcdefghijklmnopqrstuvwxyz0123456789");
  });
});
