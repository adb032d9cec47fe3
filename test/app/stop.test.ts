// Stopping a run from GitHub, through the real ingress and Probot (GitHub's
// API answered by nock): removing the label (test/app/unlabel.test.ts: by
// anyone else) or `/stamina stop` from a writer
// ends a run no worker started at once, with the tracking comment saying who
// stopped it, or tells the worker holding it; anyone else is ignored.
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseRepoConfig } from "../../src/policy/config.ts";
import type { Run } from "../../src/store/types.ts";
import { examplePayload, issueCommentPayload } from "../support/webhooks.ts";
import { API, permission, startApp, type AppUnderTest } from "../support/app-harness.ts";

const REPO = "/repos/Codertocat/Hello-World";

let app: AppUnderTest;
beforeEach(async () => {
  app = await startApp();
});
afterEach(() => app.close());

async function queuedRun(label = "stamina"): Promise<Run> {
  const created = await app.store.runs.create({
    installationId: 1,
    owner: "Codertocat",
    repo: "Hello-World",
    issueNumber: 1,
    issueTitle: "Spelling error in the README file",
    issueBody: "",
    requestedBy: "Codertocat",
    deliveryId: "trigger",
    config: parseRepoConfig({ label }),
  });
  if (!created.created) throw new Error("unreachable");
  return app.store.runs.update(created.run.id, { trackingCommentId: 55 });
}

function unlabeled(label: string, sender = "Codertocat") {
  const payload = examplePayload<{ label: { name: string }; sender: { login: string } }>(
    "issues",
    "unlabeled",
  );
  payload.label.name = label;
  payload.sender.login = sender;
  return payload;
}

/** `sender`'s comment on the example's issue (Codertocat/Hello-World#1). */
const comment = (body: string, sender = "Codertocat", type: "User" | "Bot" = "User") =>
  issueCommentPayload({ body, author: { login: sender, type } });

function editedComment(match: (body: string) => boolean) {
  let body = "";
  const scope = nock(API)
    .patch(`${REPO}/issues/comments/55`, (b: { body: string }) => {
      body = b.body;
      return match(b.body);
    })
    .reply(200, {});
  return { scope, body: () => body };
}

describe("removing the label", () => {
  it("stops a queued run at once and says who stopped it on the tracking comment", async () => {
    const run = await queuedRun();
    permission(REPO, "octocat", "maintain");
    const edit = editedComment((b) => b.includes("🛑"));
    const posted = await app.deliver("issues", unlabeled("stamina", "octocat"));
    expect(await app.handled(posted.deliveryId)).toBe("ok");
    expect(await app.store.runs.get(run.id)).toMatchObject({
      state: "cancelled",
      cancelRequestedBy: "@octocat",
      outcome: "stopped: removed the `stamina` label",
    });
    expect(edit.scope.isDone()).toBe(true);
    expect(edit.body()).toContain("🛑 Stamina stopped: @octocat removed the `stamina` label.");
    const types = (await app.store.audit.events(run.id)).map((e) => e.type);
    expect(types).toEqual(["run.stopped", "run.finished", "github.write"]);
  });

  it("tells the worker holding the run, which pushes the work and ends it", async () => {
    const run = await queuedRun();
    await app.store.leases.claimNext("worker-1", 60_000);
    permission(REPO, "Codertocat", "write");
    const posted = await app.deliver("issues", unlabeled("stamina"));
    expect(await app.handled(posted.deliveryId)).toBe("ok");
    expect(await app.store.runs.get(run.id)).toMatchObject({
      state: "preparing",
      cancelRequestedBy: "@Codertocat",
    });
    expect(app.cancelRequested.map((r) => r.id)).toEqual([run.id]);
    expect((await app.store.cancels.requested("worker-1")).map((r) => r.id)).toEqual([run.id]);
  });

  it("of another label changes nothing", async () => {
    const run = await queuedRun("ai");
    const posted = await app.deliver("issues", unlabeled("stamina"));
    expect(await app.handled(posted.deliveryId)).toBe("ok");
    expect((await app.store.runs.get(run.id))?.state).toBe("queued");
  });
});

describe("/stamina stop", () => {
  it("from a writer stops the run and is acknowledged with 👍", async () => {
    const run = await queuedRun();
    permission(REPO, "Codertocat", "write");
    const ack = nock(API)
      .post(new RegExp(`^${REPO}/issues/comments/\\d+/reactions$`), { content: "+1" })
      .reply(201, {});
    const edit = editedComment((b) => b.includes("@Codertocat asked with `/stamina stop`"));
    const posted = await app.deliver("issue_comment", comment("/stamina stop"));
    expect(await app.handled(posted.deliveryId)).toBe("ok");
    expect((await app.store.runs.get(run.id))?.state).toBe("cancelled");
    expect(ack.isDone()).toBe(true);
    expect(edit.scope.isDone()).toBe(true);
  });

  it("with no active run is answered with 😕", async () => {
    permission(REPO, "Codertocat", "admin");
    const ack = nock(API)
      .post(new RegExp(`^${REPO}/issues/comments/\\d+/reactions$`), { content: "confused" })
      .reply(201, {});
    const posted = await app.deliver("issue_comment", comment("/stamina stop"));
    expect(await app.handled(posted.deliveryId)).toBe("ok");
    expect(ack.isDone()).toBe(true);
  });

  it("from a reader or a bot changes nothing and posts nothing", async () => {
    const run = await queuedRun();
    permission(REPO, "Codertocat", "read");
    const reader = await app.deliver("issue_comment", comment("/stamina stop"));
    expect(await app.handled(reader.deliveryId)).toBe("ok");
    const bot = await app.deliver("issue_comment", comment("/stamina stop", "ci[bot]", "Bot"));
    expect(await app.handled(bot.deliveryId)).toBe("ok");
    expect((await app.store.runs.get(run.id))?.state).toBe("queued");
    expect(nock.pendingMocks().filter((m) => !m.includes("access_tokens"))).toEqual([]);
  });

  it("is not looked for in comments without a command", async () => {
    const run = await queuedRun();
    const posted = await app.deliver("issue_comment", comment("Looks good, stop by later."));
    expect(await app.handled(posted.deliveryId)).toBe("ok");
    expect((await app.store.runs.get(run.id))?.state).toBe("queued");
  });
});
