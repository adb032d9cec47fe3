// Input acts once, and only when fresh, through the real paths: signed
// issue_comment deliveries to the real ingress, the real store, the fake
// GitHub and real runs (held for approval by policy, as a workflow change is).
// A signed body posted again under a new delivery id is a replay; an approval
// answers only the request it was written for; an event older than the window
// is recorded and ignored, unless Stamina asked GitHub to send it again.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appBesideHarness, type AppBesideHarness } from "../support/app-beside-harness.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { byStep, OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";
import { issueCommentPayload } from "../support/webhooks.ts";

let h: Harness;
let app: AppBesideHarness;
beforeEach(async () => {
  // Probot signs the app's JWTs by the real clock: the harness's clock starts there too.
  h = await startHarness({ "a.txt": "one\n" }, { clockStart: Date.now() });
  app = await appBesideHarness(h);
});
afterEach(async () => {
  await app.close();
  await h.close();
});

const MAINTAINER = { login: "maintainer", id: 4242, type: "User" as const };

/** A writer's comment on issue 1, made on the fake GitHub at `at` (the harness's now unless given). */
function writerComment(body: string, at = h.now()) {
  const { id } = h.github.addComment(OWNER, REPO, 1, { user: MAINTAINER.login, body });
  return issueCommentPayload({
    owner: OWNER,
    repo: REPO,
    github: h.github,
    number: 1,
    author: MAINTAINER,
    commentId: id,
    body,
    at,
  });
}

const writeCi = (content: string) =>
  toolUse("str_replace_based_edit_tool", {
    command: "create",
    path: ".github/workflows/ci.yml",
    file_text: content,
  });

/** A run that changes the workflow twice: each change is held for approval, the second after a minute. */
async function heldTwice() {
  await h.model(
    byStep([
      reply(writeCi("on: push\n"), toolUse("checkpoint", { message: "Add CI" })),
      reply(editFile("a.txt", "one", "two")),
      reply(writeCi("on: [push, pull_request]\n")),
      reply(text("Done.")),
      reply(text("Two, with CI.")),
    ]),
  );
  h.github.grantWorkflows(1);
  const queued = await h.queue();
  const held = await h.execute(await h.claim());
  expect(held.state).toBe("awaiting_approval");
  return queued;
}

const granted = async (runId: string) =>
  (await h.store.audit.events(runId)).filter((e) => e.type === "approval.granted").length;

describe("a replayed approval", () => {
  it("acts once: the same signed body under new delivery ids approves nothing more", async () => {
    const run = await heldTwice();
    const approve = writerComment("/stamina approve");
    const first = await app.deliver("issue_comment", approve);
    expect(await app.handled(first.deliveryId)).toBe("ok");
    expect((await h.store.runs.mustGet(run.id)).state).toBe("queued");

    // The attack as reproduced: one body, more delivery ids. Each is kept, and none acts.
    for (let i = 0; i < 2; i++) {
      const replay = await app.deliver("issue_comment", approve);
      expect(replay.status).toBe(202);
      expect(replay.body).toContain("replays an earlier one");
      expect(await app.handled(replay.deliveryId)).toBe(
        `ignored: a replay of delivery ${first.deliveryId} (issue_comment.created:${approve.comment.id}), which acted already`,
      );
    }
    expect(await granted(run.id)).toBe(1);

    // The run goes on and asks again for its second change: the old body still approves nothing.
    h.tick(60_000);
    const again = await h.execute(await h.claim("worker-2"));
    expect(again.state).toBe("awaiting_approval");
    const late = await app.deliver("issue_comment", approve);
    expect(await app.handled(late.deliveryId)).toMatch(/^ignored: a replay of delivery/);
    expect((await h.store.runs.mustGet(run.id)).state).toBe("awaiting_approval");
    expect(await granted(run.id)).toBe(1);
    expect(app.reactions(approve.comment.id)).toEqual(["+1"]);
  });
});

describe("an approval", () => {
  it("answers only the request it was written for, and names only that one", async () => {
    const run = await heldTwice();
    const askedFirst = h.now();
    await app.send("issue_comment", writerComment("/stamina approve"));
    h.tick(60_000);
    const again = await h.execute(await h.claim("worker-2"));
    expect(again.state).toBe("awaiting_approval");

    // A second writer's approve, written while the first request waited, delivered late.
    const stale = writerComment("/stamina approve", askedFirst + 5_000);
    await app.send("issue_comment", stale);
    expect(app.reactions(stale.comment.id)).toEqual(["confused"]);
    expect((await h.store.runs.mustGet(run.id)).state).toBe("awaiting_approval");
    expect(await granted(run.id)).toBe(1);
    const events = await h.store.audit.events(run.id);
    const refused = events
      .filter((e) => e.type === "safety" && e.data.control === "approval.binding")
      .map((e) => e.data);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ outcome: "blocked", by: "maintainer" });
    expect(String(refused[0]!.detail)).toContain("answers an earlier request");
    const said = h.github.issueComments(OWNER, REPO, 1).at(-1)!.body;
    expect(said).toContain(
      "@maintainer, your `/stamina approve` was not applied: it was written at",
    );
    expect(said).toContain("To answer what the run waits on now, comment again.");

    // Naming another change is refused too; naming this one (as the request comment shows it) acts.
    const request = await h.store.approvals.requested(run.id);
    const code = request!.name!;
    const other = writerComment("/stamina approve 0123456789ab");
    await app.send("issue_comment", other);
    expect(app.reactions(other.comment.id)).toEqual(["confused"]);
    expect(h.github.issueComments(OWNER, REPO, 1).at(-1)!.body).toContain(
      `it names \`0123456789ab\`, and the run waits on the change \`${code}\``,
    );
    const ask = h.github.issueComments(OWNER, REPO, 1).find((c) => c.body.includes(code));
    expect(ask?.body).toContain(`\`/stamina approve ${code}\``);
    const named = writerComment(`/stamina approve ${code}`);
    await app.send("issue_comment", named);
    expect(app.reactions(named.comment.id)).toEqual(["+1"]);
    expect(await granted(run.id)).toBe(2);
  });
});

describe("an old event", () => {
  it("is recorded and ignored past the window, unless Stamina asked GitHub to send it again", async () => {
    const run = await h.queue();
    const old = writerComment("/stamina stop", h.now() - 2 * 60 * 60_000);
    const posted = await app.deliver("issue_comment", old);
    expect(posted.status).toBe(202);
    const outcome = await app.handled(posted.deliveryId);
    expect(outcome).toMatch(
      /^ignored: comment\.created_at is \S+, 2 h ago, past the 1 h window \(STAMINA_WEBHOOK_MAX_AGE_MINUTES\)$/,
    );
    expect((await h.store.runs.mustGet(run.id)).state).toBe("queued");
    expect(app.reactions(old.comment.id)).toEqual([]);
    expect(app.logLines.some((l) => String(l.msg).startsWith("an old event was ignored"))).toBe(
      true,
    );

    // The same event, refused for load earlier and sent again at Stamina's request, acts.
    const guid = "0b1c2d3e-resent-by-request";
    await h.store.deliveries.refusedForLoad(guid);
    await h.store.deliveries.redeliveryRequested(guid, "17");
    const resent = await app.deliver("issue_comment", old, guid);
    expect(await app.handled(resent.deliveryId)).toBe("ok");
    expect((await h.store.runs.mustGet(run.id)).state).toBe("cancelled");
    expect(app.reactions(old.comment.id)).toEqual(["+1"]);
  });
});
