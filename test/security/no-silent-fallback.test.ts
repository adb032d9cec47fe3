// The sandbox is never dropped without a word. Where bubblewrap cannot start
// (a wrapper that fails as a container without user namespaces does), a
// worker claims no run and says why and what to do; the explicit opt-out,
// STAMINA_SANDBOX=process, puts its warning on the run's tracking comment,
// pull request and audit log.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { editFile, reply, text } from "../support/model-server/index.ts";
import { OWNER, REPO, startHarness } from "../support/run-harness.ts";
import { startWorld, type World } from "../support/world.ts";

describe("a worker where bubblewrap cannot start", () => {
  let world: World;
  let failing: Record<string, string>;
  beforeAll(async () => {
    world = await startWorld({ short: true });
    const bwrap = join(world.dir, "bwrap");
    writeFileSync(
      bwrap,
      "#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n",
    );
    chmodSync(bwrap, 0o755);
    failing = { STAMINA_SANDBOX: "bubblewrap", STAMINA_BWRAP: bwrap };
  }, 60_000);
  afterAll(() => world?.close());

  it("`stamina worker` stops at once and says why and what to do", async () => {
    const worker = world.start("worker", failing);
    expect(await worker.exited).toBe(78);
    expect(worker.logs()).toContain("No permissions to create new namespace");
    expect(worker.logs()).toContain("STAMINA_SANDBOX=process");
  });

  it("`stamina all` serves webhooks but claims no run, and says so", async () => {
    const app = world.start("all", failing);
    const url = await app.webhookUrl();
    await app.waitForLog(/no worker started, so no run will be claimed/, "the refusal");
    const delivered = await world.label(url, 1);
    expect(delivered.status).toBe(202);
    // The run is stored and queued; with no worker, nothing ever claims it.
    await app.waitForLog(/"issue":1[^\n]*queued|queued[^\n]*"issue":1/, "the run queued");
    const row = await world.runRow(1);
    expect(row.state).toBe("queued");
    expect(row.lease_owner ?? null).toBeNull();
    await app.stop();
  });
});

describe("STAMINA_SANDBOX=process, the explicit opt-out", () => {
  it("puts its warning on the tracking comment, the pull request and the audit log", async () => {
    const h = await startHarness({ "a.txt": "one\n" }, { sandbox: "process" });
    try {
      await h.model([
        reply(editFile("a.txt", "one", "two")),
        reply(text("Changed a.txt.")),
        reply(text("a.txt says two now.")),
      ]);
      await h.queue({});
      const run = await h.execute(await h.claim());
      expect(run.state).toBe("succeeded");
      const warning = /ran WITHOUT a sandbox \(STAMINA_SANDBOX=process\)/;
      expect(h.comment()).toMatch(warning);
      expect(h.github.pulls(OWNER, REPO)[0]?.body).toMatch(warning);
      const events = await h.store.audit.events(run.id);
      const unisolated = events.find((e) => e.type === "sandbox.unisolated");
      expect(unisolated?.data.notice).toMatch(warning);
    } finally {
      await h.close();
    }
  });
});
