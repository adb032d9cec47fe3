// Answering reviews, end to end: the app's real webhook path (signed
// deliveries of GitHub's example payloads, moved onto the pull request) and
// an in-process run against the fake GitHub, which answers GraphQL's
// reviewThreads and resolveReviewThread; the scripted model plays the agent.
// Asserted on what GitHub shows: replies, resolved threads, the branch.
import { afterEach, describe, expect, it } from "vitest";
import { REVIEW_QUIET } from "../../src/app/handlers/review.ts";
import { verifyChain } from "../../src/audit/verify.ts";
import { CancelRequested } from "../../src/runs/interruptions.ts";
import type { Run } from "../../src/store/types.ts";
import { appBesideHarness, type AppBesideHarness } from "../support/app-beside-harness.ts";
import { pushPersonCommit } from "../support/person-commit.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";
import type { NewReviewComment } from "../support/fake-github/index.ts";
import {
  editFile,
  reply,
  text,
  toolUse,
  type ScriptedTurn,
} from "../support/model-server/index.ts";
import {
  pullRequestPayload,
  reviewCommentPayload,
  type PullRequestEventPayload,
} from "../support/webhooks.ts";

const FILES = {
  "a.txt": "one\n",
  "b.txt": "alpha\nbeta\ngamma\n",
  "c.txt": "red\n",
  "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
};
const CONFIG = { test: "sh check.sh" };
const PULL = 101;
const BRANCH = "stamina/1-make-it-two";

let h: Harness;
let app: AppBesideHarness;
afterEach(async () => {
  await app.close();
  await h.close();
});

/**
 * The issue's run has opened pull request 101 on BRANCH; the app listens. `workflows`: the
 * operator granted the app the permission to push workflow changes.
 */
async function openedPullRequest(options: { workflows?: boolean } = {}): Promise<void> {
  h = await startHarness(FILES);
  if (options.workflows) h.github.grantWorkflows(1);
  app = await appBesideHarness(h, { people: { reviewer: "write" } });
  await h.model([
    reply(editFile("a.txt", "one", "two")),
    reply(text("a.txt says two.")),
    reply(text("a.txt says two now, as the issue asks.")),
  ]);
  await h.queue(CONFIG);
  const first = await h.execute(await h.claim(), {}, { progressIntervalMs: 0 });
  expect(first.state).toBe("succeeded");
  expect(h.github.pulls(OWNER, REPO).map((p) => p.number)).toEqual([PULL]);
}

const answer = (thread: number, outcome: string, body: string) =>
  toolUse("answer_thread", { thread, outcome, reply: body });

/** Where this file's payloads happen: Stamina's pull request on the harness's repository. */
const ON_PULL = { owner: OWNER, repo: REPO, pull: PULL, title: "Make it two" };

/**
 * The review on GitHub, then its webhooks as GitHub sends them: the review, then each comment,
 * with the times the fake GitHub gave them (a round reads its threads as of those).
 */
async function review(user: string, comments: NewReviewComment[]): Promise<string[]> {
  const submitted = h.github.submitReview(OWNER, REPO, PULL, { user, comments });
  const when = new Date(h.now()).toISOString();
  const deliveries: string[] = [];
  const payload = pullRequestPayload<
    PullRequestEventPayload & {
      review: { state: string; body: string | null; submitted_at: string };
    }
  >("pull_request_review", "submitted", { ...ON_PULL, sender: user });
  payload.review.state = "changes_requested";
  payload.review.body = null;
  payload.review.submitted_at = when;
  deliveries.push((await app.deliver("pull_request_review", payload)).deliveryId);
  for (const thread of submitted.threads) {
    const comment = reviewCommentPayload({ ...ON_PULL, author: user, commentId: thread.commentId });
    Object.assign(comment.comment, { created_at: when });
    deliveries.push((await app.deliver("pull_request_review_comment", comment)).deliveryId);
  }
  for (const id of deliveries) expect(await app.handled(id)).toBe("ok");
  return submitted.threads.map((t) => t.threadId);
}

async function followUps(): Promise<Run[]> {
  return (await h.store.runs.list()).filter((r) => r.kind === "follow_up");
}

/** The round, once its review has been quiet long enough for a worker to take it. */
async function round(script: ScriptedTurn[], controller = new AbortController()): Promise<Run> {
  await h.model(script);
  h.tick(REVIEW_QUIET.quietMs);
  return h.execute(await h.claim(), { signal: controller.signal }, { progressIntervalMs: 0 });
}

describe("a review on Stamina's pull request", () => {
  it("of 3 comments makes one run: 3 replies, 3 resolved threads and one pushed commit", async () => {
    await openedPullRequest();
    const before = h.git("rev-parse", BRANCH);
    const threads = await review("reviewer", [
      { path: "a.txt", line: 1, body: "Say it with a capital: Two." },
      { path: "b.txt", line: 2, body: "beta should be BETA." },
      { path: "c.txt", line: 1, body: "red should be blue." },
    ]);
    const runs = await followUps();
    expect(runs).toHaveLength(1);
    expect(await h.store.runs.triggers(runs[0]!.id)).toHaveLength(4);

    const finished = await round([
      (request) => {
        // The task lists each thread with its hunk and the file around the line.
        const task = JSON.stringify(request.body);
        expect(task).toContain("Thread 3");
        expect(task).toContain("beta should be BETA.");
        expect(task).toContain('<file path=\\"b.txt\\" lines=\\"1-4\\">');
        return reply(editFile("a.txt", "two", "Two"), editFile("b.txt", "beta", "BETA"));
      },
      reply(
        editFile("c.txt", "red", "blue"),
        answer(1, "changed", "Capitalised."),
        answer(2, "changed", "BETA now."),
        answer(3, "changed", "Blue it is."),
      ),
      reply(text("Done.")),
      reply(text("Answered the review: three changes.")),
    ]);
    if (finished.state !== "succeeded")
      console.log(
        finished.outcome,
        JSON.stringify(
          (await h.store.audit.events(finished.id)).map((e) => [
            e.type,
            JSON.stringify(e.data).slice(0, 300),
          ]),
          null,
          1,
        ),
      );
    expect(finished).toMatchObject({ state: "succeeded", kind: "follow_up" });

    const after = h.github.reviewThreads(OWNER, REPO, PULL);
    expect(after.map((t) => t.id)).toEqual(threads);
    const head = h.git("rev-parse", BRANCH);
    expect(h.git("rev-list", "--count", `${before}..${head}`)).toBe("1");
    for (const [i, thread] of after.entries()) {
      expect(thread.isResolved).toBe(true);
      expect(thread.comments).toHaveLength(2);
      expect(thread.comments[1]).toMatchObject({ user: "stamina[bot]" });
      expect(thread.comments[1]!.body).toContain(["Capitalised.", "BETA now.", "Blue it is."][i]);
      expect(thread.comments[1]!.body).toContain(`/pull/${PULL}/commits/${head}`);
    }
    expect(h.git("show", `${head}:c.txt`)).toBe("blue");
    expect(h.git("log", "-1", "--format=%B", head)).toMatch(/Stamina-Audit: [0-9a-f]{64}/);
    const summary = h.github.issueComments(OWNER, REPO, PULL);
    expect(summary).toHaveLength(1);
    expect(summary[0]!.body).toContain("Stamina answered the review");
    expect(summary[0]!.body).toContain("`b.txt`:2: changed and resolved");
    // The round's log holds its answers, its chain verifies, and the check runs follow the head.
    const events = await h.store.audit.events(finished.id);
    expect(verifyChain(events).ok).toBe(true);
    expect(events.filter((e) => e.type === "review.answer")).toHaveLength(3);
    // One chain for the pull request: the issue's run, then this round.
    const [issueRun] = (await h.store.runs.list()).filter((r) => r.kind === "issue");
    expect(await h.store.audit.events(issueRun!.id)).toEqual(events);
    expect(events.filter((e) => e.type === "agent.start")).toHaveLength(2);
    const audits = h.github
      .checkRuns(OWNER, REPO)
      .filter((c) => c.name.startsWith("Stamina audit"));
    const onHead = audits.filter((c) => c.headSha === head);
    expect(onHead.length).toBeGreaterThan(0);
    const logText = onHead.map((c) => c.text ?? "").join("");
    expect(logText).toContain('"review.answer"');
    expect(logText).toContain(`"git.push"`);
    expect(h.github.pulls(OWNER, REPO)[0]!.body).toContain("## Audit");
  });

  it("that asks a question gets the answer in its thread and no commit", async () => {
    await openedPullRequest();
    const before = h.git("rev-parse", BRANCH);
    await review("reviewer", [{ path: "a.txt", line: 1, body: "Why two and not 2?" }]);
    const finished = await round([
      reply(answer(1, "answered", "The issue spells it out in words.")),
      reply(text("Answered.")),
      reply(text("Answered the question; nothing to change.")),
    ]);
    expect(finished.state).toBe("succeeded");
    const [thread] = h.github.reviewThreads(OWNER, REPO, PULL);
    expect(thread!.isResolved).toBe(false);
    expect(thread!.comments.map((c) => c.body)).toEqual([
      "Why two and not 2?",
      "The issue spells it out in words.",
    ]);
    expect(h.git("rev-parse", BRANCH)).toBe(before);
  });

  it("from a reader, or a bot, starts nothing", async () => {
    await openedPullRequest();
    const { threads } = h.github.submitReview(OWNER, REPO, PULL, {
      user: "reader",
      comments: [{ path: "a.txt", line: 1, body: "Make it three." }],
    });
    // The bot's is a reply in the reader's thread: a comment of its own.
    const botReply = h.github.replyInThread(threads[0]!.threadId, "ci[bot]", "Make it four.");
    for (const [author, commentId] of [
      [{ login: "reader", type: "User" }, threads[0]!.commentId],
      [{ login: "ci[bot]", type: "Bot" }, botReply],
    ] as const) {
      await app.send(
        "pull_request_review_comment",
        reviewCommentPayload({ ...ON_PULL, author, commentId }),
      );
    }
    expect(await followUps()).toEqual([]);
  });

  it("on a pull request Stamina did not open starts nothing", async () => {
    await openedPullRequest();
    const payload = pullRequestPayload("pull_request_review_comment", "created", {
      ...ON_PULL,
      pull: 7,
      sender: "reviewer",
    });
    await app.send("pull_request_review_comment", payload);
    expect(await followUps()).toEqual([]);
  });

  it("builds on a human's commit pushed during the run, never over it", async () => {
    await openedPullRequest();
    await review("reviewer", [{ path: "c.txt", line: 1, body: "red should be blue." }]);
    let human = "";
    const finished = await round([
      reply(editFile("c.txt", "red", "blue"), answer(1, "changed", "Blue it is.")),
      () => {
        // The reviewer pushes a commit of their own to the branch while Stamina works.
        human = pushPersonCommit(h.bare, {
          branch: BRANCH,
          files: { "human.txt": "mine\n" },
          message: "Mine",
          author: { name: "Reviewer", email: "r@example.com" },
        });
        return reply(text("Done."));
      },
      reply(text("Answered the review.")),
    ]);
    expect(finished.state).toBe("succeeded");
    const head = h.git("rev-parse", BRANCH);
    expect(head).not.toBe(human);
    expect(h.git("merge-base", "--is-ancestor", human, head)).toBe("");
    expect(h.git("show", `${head}:human.txt`)).toBe("mine");
    expect(h.git("show", `${head}:c.txt`)).toBe("blue");
    const [thread] = h.github.reviewThreads(OWNER, REPO, PULL);
    expect(thread).toMatchObject({ isResolved: true });
    expect(thread!.comments[1]!.body).toContain(`/commits/${head}`);
  });

  it("is cancelled when the pull request is closed during the run", async () => {
    await openedPullRequest();
    await review("reviewer", [{ path: "c.txt", line: 1, body: "red should be blue." }]);
    const controller = new AbortController();
    const closeIt = async () => {
      h.github.closePull(OWNER, REPO, PULL);
      const payload = pullRequestPayload("pull_request", "closed", {
        ...ON_PULL,
        sender: "reviewer",
      });
      payload.pull_request.merged = false;
      await app.send("pull_request", payload);
      // What the worker does for each run of its own that someone asked to stop.
      for (const run of await h.store.cancels.requested("worker-1")) {
        controller.abort(new CancelRequested(run.cancelRequestedBy ?? "", run.cancelReason ?? ""));
      }
    };
    let closing: Promise<void> | undefined;
    const finished = await round(
      [
        reply(editFile("c.txt", "red", "blue")),
        () => {
          // Closed on GitHub while the agent's command runs.
          closing = closeIt();
          return reply(toolUse("bash", { command: "sleep 3" }));
        },
        () => {
          throw new Error("the run went on after its pull request was closed");
        },
      ],
      controller,
    );
    await closing;
    expect(finished).toMatchObject({
      state: "cancelled",
      cancelRequestedBy: "@reviewer",
      cancelReason: "closed the pull request",
    });
    // Nothing was answered in the threads of a closed pull request.
    const [thread] = h.github.reviewThreads(OWNER, REPO, PULL);
    expect(thread!.comments).toHaveLength(1);
  });

  it("of 50 comments makes one run that answers all 50", async () => {
    await openedPullRequest();
    const comments = Array.from({ length: 50 }, (_, i) => ({
      path: "b.txt",
      line: (i % 3) + 1,
      body: `Question ${i + 1}: why this line?`,
    }));
    await review("reviewer", comments);
    const runs = await followUps();
    expect(runs).toHaveLength(1);
    expect(await h.store.runs.triggers(runs[0]!.id)).toHaveLength(51);
    const finished = await round([
      (request) => {
        const task = JSON.stringify(request.body);
        expect(task).toContain("Thread 50");
        expect(task).toContain("Question 50: why this line?");
        return reply(
          ...comments.map((_, i) => answer(i + 1, "answered", `Because of reason ${i + 1}.`)),
        );
      },
      reply(text("Answered all.")),
      reply(text("Answered 50 questions.")),
    ]);
    expect(finished.state).toBe("succeeded");
    const threads = h.github.reviewThreads(OWNER, REPO, PULL);
    expect(threads).toHaveLength(50);
    expect(threads.map((t) => t.comments[1]?.body)).toEqual(
      comments.map((_, i) => `Because of reason ${i + 1}.`),
    );
    expect(await followUps()).toHaveLength(1);
  });

  it("held for approval is answered on the pull request: the approve reaches the round and its change is pushed", async () => {
    await openedPullRequest({ workflows: true });
    await review("reviewer", [{ path: "a.txt", line: 1, body: "Add a CI workflow too." }]);
    const held = await round([
      reply(
        toolUse("str_replace_based_edit_tool", {
          command: "create",
          path: ".github/workflows/ci.yml",
          file_text: "on: push\n",
        }),
        answer(1, "changed", "Added a CI workflow."),
      ),
      reply(text("Added CI.")),
      reply(text("A CI workflow runs on push.")),
    ]);
    expect(held.state).toBe("awaiting_approval");
    expect(() => h.show(`${BRANCH}:.github/workflows/ci.yml`)).toThrow();
    const asks = h.github.issueComments(OWNER, REPO, PULL).filter((c) => c.body.startsWith("🔐"));
    expect(asks).toHaveLength(1);
    expect(asks[0]!.body).toContain("`.github/workflows/ci.yml`");
    // The round writes into its pull request's audit chain: the approve finds its request there.
    const approve = await app.comment("/stamina approve", { on: PULL });
    expect(app.reactions(approve)).toEqual(["+1"]);
    const done = await h.execute(await h.claim("worker-2"), {}, { progressIntervalMs: 0 });
    expect(done.state).toBe("succeeded");
    expect(h.show(`${BRANCH}:.github/workflows/ci.yml`)).toBe("on: push\n");
    const [thread] = h.github.reviewThreads(OWNER, REPO, PULL);
    expect(thread!.comments.at(-1)!.body).toContain("Added a CI workflow.");
  });
});
