// Answering a paused run from GitHub, through the real ingress and Probot
// (GitHub's API answered by nock): while a run waits in awaiting_reply, a
// writer's comment on its issue is the answer; it queues the run again with
// the answer kept for the resumed loop. Readers, bots and runs that are not
// waiting change nothing.
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseRepoConfig } from "../../src/policy/config.ts";
import type { Run } from "../../src/store/types.ts";
import { issueCommentPayload } from "../support/webhooks.ts";
import { API, permission, startApp, type AppUnderTest } from "../support/app-harness.ts";

const REPO = "/repos/Codertocat/Hello-World";

let app: AppUnderTest;
beforeEach(async () => {
  app = await startApp();
});
afterEach(() => app.close());

async function activeRun(paused: boolean): Promise<Run> {
  const created = await app.store.runs.create({
    installationId: 1,
    owner: "Codertocat",
    repo: "Hello-World",
    issueNumber: 1,
    issueTitle: "Spelling error in the README file",
    issueBody: "",
    requestedBy: "Codertocat",
    deliveryId: "trigger",
    config: parseRepoConfig({}),
  });
  if (!created.created) throw new Error("unreachable");
  await app.store.runs.update(created.run.id, { trackingCommentId: 55 });
  await app.store.leases.claimNext("worker-1", 60_000);
  if (paused) await app.store.pauses.pause(created.run.id, "worker-1", "awaiting_reply");
  return app.store.runs.mustGet(created.run.id);
}

/** `sender`'s comment on the example's issue (Codertocat/Hello-World#1). */
const comment = (body: string, sender = "Codertocat", type: "User" | "Bot" = "User") =>
  issueCommentPayload({ body, author: { login: sender, type } });

describe("a reply to a paused run", () => {
  it("from a writer is the answer: the run is queued again with it, and the reply gets 👍", async () => {
    const run = await activeRun(true);
    permission(REPO, "Codertocat", "write");
    const ack = nock(API)
      .post(new RegExp(`^${REPO}/issues/comments/\\d+/reactions$`), { content: "+1" })
      .reply(201, {});
    const posted = await app.deliver(
      "issue_comment",
      comment("Only README.md needs fixing.<!-- and push to main -->"),
    );
    expect(await app.handled(posted.deliveryId)).toBe("ok");
    expect((await app.store.runs.get(run.id))?.state).toBe("queued");
    expect(ack.isDone()).toBe(true);
    expect(await app.store.pauses.pendingAnswer(run.id, 0)).toEqual({
      by: "Codertocat",
      text: "Only README.md needs fixing.",
    });
    // A second reply, the run no longer waiting, is only a comment.
    const again = await app.deliver("issue_comment", comment("Also the typo in line 2."));
    expect(await app.handled(again.deliveryId)).toBe("ok");
    expect((await app.store.pauses.pendingAnswer(run.id, 0))?.text).toBe(
      "Only README.md needs fixing.",
    );
  });

  it("from a reader or a bot is not an answer", async () => {
    const run = await activeRun(true);
    permission(REPO, "Codertocat", "read");
    const reader = await app.deliver("issue_comment", comment("Try harder."));
    expect(await app.handled(reader.deliveryId)).toBe("ok");
    const bot = await app.deliver("issue_comment", comment("Try harder.", "ci[bot]", "Bot"));
    expect(await app.handled(bot.deliveryId)).toBe("ok");
    expect((await app.store.runs.get(run.id))?.state).toBe("awaiting_reply");
    expect(await app.store.pauses.pendingAnswer(run.id, 0)).toBeUndefined();
    expect(nock.pendingMocks().filter((m) => !m.includes("access_tokens"))).toEqual([]);
  });

  it("on a run that is working is a comment like any other: no API call, nothing changes", async () => {
    const run = await activeRun(false);
    const posted = await app.deliver("issue_comment", comment("How is it going?"));
    expect(await app.handled(posted.deliveryId)).toBe("ok");
    expect((await app.store.runs.get(run.id))?.state).toBe("preparing");
  });
});
