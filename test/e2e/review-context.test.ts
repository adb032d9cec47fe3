// What a review round tells the model besides the comments, end to end: the app's webhook path
// and a run in process against the fake GitHub. The task carries the pull request's body, the
// issue, the base to diff against, Stamina's earlier reply in a thread (so "No, I meant…" keeps
// what it answers) and an outdated thread at its original code; a thread left unanswered is
// reminded once before the round ends.
import { REVIEW_QUIET } from "../../src/app/handlers/review.ts";
import { afterEach, describe, expect, it } from "vitest";
import { appBesideHarness, type AppBesideHarness } from "../support/app-beside-harness.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import {
  pullRequestPayload,
  reviewCommentPayload,
  type PullRequestEventPayload,
} from "../support/webhooks.ts";

const FILES = { "a.txt": "one\n", "b.txt": "alpha\nbeta\ngamma\n" };
const PULL = 101;
const ON_PULL = { owner: OWNER, repo: REPO, pull: PULL, title: "Make it two" };

let h: Harness;
let app: AppBesideHarness;
afterEach(async () => {
  await app.close();
  await h.close();
});

const answer = (thread: number, outcome: string, body: string) =>
  toolUse("answer_thread", { thread, outcome, reply: body });

describe("a review round's task", () => {
  it("carries the pull request, the issue, the earlier reply and the original code, and reminds of unanswered threads", async () => {
    h = await startHarness(FILES);
    app = await appBesideHarness(h, { people: { reviewer: "write" } });
    const base = h.git("rev-parse", "main");
    await h.model([
      reply(editFile("a.txt", "one", "two")),
      reply(text("a.txt says two.")),
      reply(text("a.txt says two now, as the issue asks.")),
    ]);
    await h.queue();
    expect((await h.execute(await h.claim(), {}, { progressIntervalMs: 0 })).state).toBe(
      "succeeded",
    );

    // Thread 1: Stamina answered in an earlier round, and the reviewer answered back.
    // Thread 2: written against the base commit, on a line the pull request has changed since.
    const { threads } = h.github.submitReview(OWNER, REPO, PULL, {
      user: "reviewer",
      comments: [
        { path: "b.txt", line: 2, body: "Rename beta." },
        { path: "a.txt", line: 1, body: "Is one right here?", outdated: true, commit: base },
      ],
    });
    h.github.replyInThread(threads[0]!.threadId, "stamina[bot]", "Renamed beta to BETA.");
    h.github.replyInThread(threads[0]!.threadId, "reviewer", "No, I meant rename it to delta.");
    const payload = pullRequestPayload<
      PullRequestEventPayload & {
        review: { state: string; body: string | null; submitted_at: string };
      }
    >("pull_request_review", "submitted", { ...ON_PULL, sender: "reviewer" });
    Object.assign(payload.review, {
      state: "changes_requested",
      body: null,
      submitted_at: new Date(h.now()).toISOString(),
    });
    expect(await app.handled((await app.deliver("pull_request_review", payload)).deliveryId)).toBe(
      "ok",
    );
    const comment = reviewCommentPayload({
      ...ON_PULL,
      author: "reviewer",
      commentId: threads[0]!.commentId,
    });
    Object.assign(comment.comment, { created_at: new Date(h.now()).toISOString() });
    expect(
      await app.handled((await app.deliver("pull_request_review_comment", comment)).deliveryId),
    ).toBe("ok");

    let task = "";
    let reminder = "";
    await h.model([
      (request) => {
        const content = request.body.messages[0]!.content;
        task =
          typeof content === "string"
            ? content
            : content.map((b) => ("text" in b ? b.text : "")).join("");
        return reply(answer(1, "answered", "Delta it is not: the issue names beta."));
      },
      reply(text("Done.")),
      (request) => {
        reminder = JSON.stringify(request.body.messages.at(-1));
        return reply(answer(2, "answered", "Yes: the issue asks for two, which it says now."));
      },
      reply(text("Both threads answered.")),
    ]);
    // Claimed once the review has been quiet long enough for a worker to take it.
    h.tick(REVIEW_QUIET.quietMs);
    const round = await h.execute(await h.claim(), {}, { progressIntervalMs: 0 });
    expect(round).toMatchObject({ kind: "follow_up", state: "succeeded" });

    // The pull request's body, without its audit section, and the issue it resolves.
    expect(task).toContain("<pull_request_body>");
    expect(task).toContain("a.txt says two now, as the issue asks.");
    expect(task).not.toContain("## Audit");
    expect(task).toContain('It resolves issue #1, "Make it two"');
    expect(task).toContain("<issue_body>\na.txt should say two\n</issue_body>");
    // The base of the whole pull request, for git diff and git show.
    expect(task).toContain(`git diff ${base.slice(0, 12)}`);
    expect(task).toContain("Every commit on the branch is Stamina's (yours)");
    // Stamina's earlier reply, between the comment it answered and the one answering it.
    const earlier = task.indexOf(
      '<earlier_reply author="stamina" bot="yes">\nRenamed beta to BETA.\n</earlier_reply>',
    );
    expect(earlier).toBeGreaterThan(task.indexOf("Rename beta."));
    expect(task.indexOf("No, I meant rename it to delta.")).toBeGreaterThan(earlier);
    // The outdated thread at the code it was written against: a.txt said one then.
    expect(task).toContain(`line 1 of the file in commit ${base.slice(0, 12)}`);
    expect(task).toContain(
      `<original_code path="a.txt" commit="${base.slice(0, 12)}" lines="1-2">\n    1 > one\n`,
    );
    // Ending the turn with thread 2 unanswered brought it back once, by number.
    expect(reminder).toContain("You have not answered this thread yet");
    expect(reminder).toContain("Thread 2: `a.txt`");
    expect(reminder).not.toContain("Thread 1:");
    const [, second] = h.github.reviewThreads(OWNER, REPO, PULL);
    expect(second!.comments.at(-1)!.body).toContain("Yes: the issue asks for two");
  });
});
