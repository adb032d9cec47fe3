// Removing the label stops a run only when a writer removes it, as for
// `/stamina stop`: GitHub lets triagers, and any workflow token with
// `issues: write`, remove labels. Through the real ingress beside the run
// harness (its store, the fake GitHub answering who may write): from anyone
// else the run goes on, the attempt is a `safety` event on the run, and the
// issue is told once per run who may stop it.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Run } from "../../src/store/types.ts";
import { appBesideHarness, type AppBesideHarness } from "../support/app-beside-harness.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";
import { examplePayload, type Account } from "../support/webhooks.ts";

const REFUSAL = "only someone with write access to this repository can stop a run";

let h: Harness;
let app: AppBesideHarness;
beforeEach(async () => {
  h = await startHarness({ "a.txt": "one\n" });
  app = await appBesideHarness(h, { people: { triager: "triage" } });
});
afterEach(async () => {
  await app.close();
  await h.close();
});

/** GitHub's example `issues.unlabeled`: `sender` removed `label` from issue 1 of the harness's repository. */
function unlabeled(sender: Account, label = "stamina") {
  const payload = examplePayload<{
    issue: { number: number };
    label: { name: string };
    sender: { login: string; type: string };
    repository: { name: string; full_name: string; owner: { login: string } };
  }>("issues", "unlabeled");
  payload.repository.owner.login = OWNER;
  payload.repository.name = REPO;
  payload.repository.full_name = `${OWNER}/${REPO}`;
  payload.issue.number = 1;
  payload.label.name = label;
  payload.sender = { ...payload.sender, login: sender.login, type: sender.type ?? "User" };
  return payload;
}

/** A run a worker holds: what a label removed mid-run meets. */
async function runningRun(): Promise<Run> {
  await h.queue();
  return h.claim();
}

const refusals = () =>
  h.github.issueComments(OWNER, REPO, 1).filter((c) => c.body.includes(REFUSAL));

async function steerEvents(run: Run) {
  return (await h.store.audit.events(run.id)).filter(
    (e) => e.type === "safety" && e.data.control === "steer.writers",
  );
}

describe("the label removed", () => {
  it("by a triager leaves the run going, and says once who may stop it", async () => {
    const run = await runningRun();
    await app.send("issues", unlabeled({ login: "triager" }));

    const after = await h.store.runs.mustGet(run.id);
    expect(after).toMatchObject({ state: run.state, cancelRequestedBy: null, cancelReason: null });
    expect(app.cancelRequested).toEqual([]);
    expect(await h.store.cancels.requested("worker-1")).toEqual([]);
    const [said] = refusals();
    expect(refusals()).toHaveLength(1);
    expect(said!.user).toBe("stamina[bot]");
    expect(said!.body).toContain("@triager removed the `stamina` label");
    expect(said!.body).toContain("commenting `/stamina stop`, or by removing the `stamina` label");
    expect(said!.body.split("\n").some((line) => line.startsWith("/stamina"))).toBe(false);
    expect(app.logLines).toContainEqual(
      expect.objectContaining({
        sender: "triager",
        role: "triage",
        msg: "label removed by a sender who cannot write; the run goes on",
      }),
    );
    const [event] = await steerEvents(run);
    expect(event?.data).toMatchObject({
      control: "steer.writers",
      outcome: "blocked",
      by: "@triager",
    });

    // Again, and by a workflow's bot: recorded each time, said no more.
    await app.send("issues", unlabeled({ login: "triager" }));
    await app.send("issues", unlabeled({ login: "github-actions[bot]", type: "Bot" }));
    expect(refusals()).toHaveLength(1);
    expect((await steerEvents(run)).map((e) => e.data.by)).toEqual([
      "@triager",
      "@triager",
      "@github-actions[bot]",
    ]);
    expect((await h.store.runs.mustGet(run.id)).cancelRequestedBy).toBeNull();
  });

  it("twice at once by people who cannot write is still said once", async () => {
    const run = await runningRun();
    const posted = await Promise.all([
      app.deliver("issues", unlabeled({ login: "triager" })),
      app.deliver("issues", unlabeled({ login: "reader" })),
    ]);
    for (const p of posted) expect(await app.handled(p.deliveryId)).toBe("ok");
    expect(refusals()).toHaveLength(1);
    expect(await steerEvents(run)).toHaveLength(2);
  });

  it("names a sender whose login is not a GitHub login as someone, and nothing of it", async () => {
    const run = await runningRun();
    await app.send("issues", unlabeled({ login: "x`\n/stamina run <b>" }));
    const [said] = refusals();
    expect(said!.body).toContain("someone removed the `stamina` label");
    expect(said!.body).not.toContain("<b>");
    expect(said!.body).not.toContain("x`");
    expect((await h.store.runs.mustGet(run.id)).cancelRequestedBy).toBeNull();
  });

  it("by a writer stops the run as before, after a triager's attempt", async () => {
    const run = await runningRun();
    await app.send("issues", unlabeled({ login: "triager" }));
    await app.send("issues", unlabeled({ login: "maintainer" }));
    expect(await h.store.runs.mustGet(run.id)).toMatchObject({
      cancelRequestedBy: "@maintainer",
      cancelReason: "removed the `stamina` label",
    });
    expect(app.cancelRequested.map((r) => r.id)).toEqual([run.id]);
    expect((await h.store.cancels.requested("worker-1")).map((r) => r.id)).toEqual([run.id]);
  });

  it("by a writer from a run no worker started ends it at once", async () => {
    const run = await h.queue();
    await app.send("issues", unlabeled({ login: "maintainer" }));
    expect(await h.store.runs.mustGet(run.id)).toMatchObject({
      state: "cancelled",
      outcome: "stopped: removed the `stamina` label",
    });
    expect(refusals()).toEqual([]);
  });
});
