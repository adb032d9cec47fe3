// The installation's lifecycle through the real ingress: suspended (runs
// stopped, new triggers ignored), unsuspended (accepted again), repositories
// removed (their runs stopped), deleted (everything purged). GitHub is not
// written to: a suspended or deleted installation has no token.
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseRepoConfig } from "../../src/policy/config.ts";
import { examplePayload } from "../support/webhooks.ts";
import { startApp, type AppUnderTest } from "../support/app-harness.ts";

let app: AppUnderTest;
beforeEach(async () => {
  app = await startApp();
});
afterEach(() => app.close());

const INSTALLATION = { id: 1, account: { login: "Codertocat", type: "User" } };

function installationEvent(action: string) {
  const payload = examplePayload<Record<string, unknown>>("installation", action);
  payload.installation = INSTALLATION;
  return payload;
}

async function run(issueNumber: number, repo = "Hello-World") {
  const created = await app.store.runs.create({
    installationId: 1,
    owner: "Codertocat",
    repo,
    issueNumber,
    issueTitle: "t",
    issueBody: "",
    requestedBy: "Codertocat",
    deliveryId: `d${issueNumber}${repo}`,
    config: parseRepoConfig({}),
  });
  if (!created.created) throw new Error("unreachable");
  return created.run;
}

describe("the installation", () => {
  it("suspended: its runs stop, its triggers are ignored, until it is unsuspended", async () => {
    const queued = await run(1);
    const held = await run(2);
    await app.store.leases.claimNext("w", 60_000); // the older one
    const suspended = await app.deliver("installation", installationEvent("suspend"));
    expect(await app.handled(suspended.deliveryId)).toBe("ok");
    expect(await app.store.installations.isSuspended(1)).toBe(true);
    // The claimed run's worker pushes and ends it; the other ends now.
    expect(await app.store.runs.get(queued.id)).toMatchObject({
      state: "preparing",
      cancelReason: "suspended the app's installation",
    });
    expect((await app.store.runs.get(held.id))?.state).toBe("cancelled");

    const labeled = examplePayload("issues", "labeled");
    const ignored = await app.deliver("issues", labeled);
    expect(await app.handled(ignored.deliveryId)).toBe("ok");
    expect(app.logLines.some((l) => String(l.msg).includes("suspended; ignored"))).toBe(true);

    const back = await app.deliver("installation", installationEvent("unsuspend"));
    expect(await app.handled(back.deliveryId)).toBe("ok");
    expect(await app.store.installations.isSuspended(1)).toBe(false);
    expect(nock.pendingMocks().filter((m) => !m.includes("access_tokens"))).toEqual([]);
  });

  it("created and its repositories changed: recorded; a removed repository's runs stop", async () => {
    const created = await app.deliver("installation", installationEvent("created"));
    expect(await app.handled(created.deliveryId)).toBe("ok");
    expect(await app.store.installations.get(1)).toMatchObject({ account: "Codertocat" });
    const keep = await run(1, "Keep");
    const gone = await run(2, "Space");
    const changed = examplePayload<Record<string, unknown>>("installation_repositories", "removed");
    changed.installation = INSTALLATION;
    changed.repositories_removed = [{ id: 1, name: "Space", full_name: "Codertocat/Space" }];
    changed.repositories_added = [{ id: 2, name: "Keep", full_name: "Codertocat/Keep" }];
    const posted = await app.deliver("installation_repositories", changed);
    expect(await app.handled(posted.deliveryId)).toBe("ok");
    expect((await app.store.runs.get(gone.id))?.state).toBe("cancelled");
    expect((await app.store.runs.get(keep.id))?.state).toBe("queued");
    expect(await app.store.installations.repositories(1)).toContain("Codertocat/Keep");
  });

  it("deleted: everything it left is purged", async () => {
    const old = await run(1);
    await app.store.audit.append(old.id, [{ type: "x", data: {} }]);
    const posted = await app.deliver("installation", installationEvent("deleted"));
    expect(await app.handled(posted.deliveryId)).toBe("ok");
    expect(await app.store.runs.get(old.id)).toBeUndefined();
    expect(await app.store.audit.events(old.id)).toEqual([]);
    expect(await app.store.runs.list({ installationId: 1 })).toEqual([]);
  });
});
