// One review, one round, under a real worker: `serve` and `worker` as their own
// processes on one SQLite file, the worker polling every 100 ms as it does in
// production, and a review of three line comments delivered as GitHub sends it
// (GitHub's example payloads of `pull_request_review.submitted`, then each
// `pull_request_review_comment.created`, tens of milliseconds apart). The
// round waits for its review to go quiet, so the four webhooks make one round;
// and a comment whose webhook comes late, once the round has taken its thread
// up, makes a round that finds nothing to answer and ends without a trace on
// the pull request.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppProcess } from "../support/app-process.ts";
import type { PullView } from "../support/fake-github/index.ts";
import { reply, text, toolUse, type RecordedModelRequest } from "../support/model-server/index.ts";
import {
  pullRequestPayload,
  reviewCommentPayload,
  waitFor,
  type PullRequestEventPayload,
} from "../support/webhooks.ts";
import { OWNER, REPO, startWorld, type World } from "../support/world.ts";

const REVIEWER = "maintainer";
const TERMINAL = ["succeeded", "failed", "cancelled", "out_of_budget"];
const gates = mkdtempSync(join(tmpdir(), "stamina-round-gates-"));
const started = (pull: number) => join(gates, `started-${pull}`);
const gate = (pull: number) => join(gates, `gate-${pull}`);

/** The pull request a round's request answers on. */
function pullOf(request: RecordedModelRequest): number {
  const match = /Reviewers commented on pull request #(\d+)/.exec(JSON.stringify(request.body));
  if (!match) throw new Error("not a review round's request");
  return Number(match[1]);
}

/** A round answers its three threads, then waits for the test to open its pull request's gate. */
const ROUND = [
  (request: RecordedModelRequest) => {
    const pull = pullOf(request);
    const command = `touch ${started(pull)}; while [ ! -f ${gate(pull)} ]; do sleep 0.05; done`;
    return reply(
      ...[1, 2, 3].map((thread) =>
        toolUse("answer_thread", {
          thread,
          outcome: "answered",
          reply: `Thread ${thread}: greet() keeps its name.`,
        }),
      ),
      toolUse("bash", { command }),
    );
  },
  reply(text("Answered the three threads.")),
  reply(text("Answered the review; nothing to change.")),
];

let world: World;
let serve: AppProcess;
let webhooks: string;
beforeAll(async () => {
  world = await startWorld({ short: true, round: ROUND });
  serve = world.start("serve");
  webhooks = await serve.webhookUrl();
  // Started once serve has migrated the SQLite file: two first starts would migrate it at once.
  const worker = world.start("worker");
  await worker.waitForLog(/worker started/, "the worker to start");
}, 60_000);
afterAll(async () => {
  await world?.close();
  rmSync(gates, { recursive: true, force: true });
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Issue `issue`'s run, through serve and the worker, to its pull request. */
async function pullRequestFor(issue: number): Promise<PullView> {
  expect((await world.label(webhooks, issue)).status).toBe(202);
  expect(await world.finished(issue)).toBe("succeeded");
  return world.pullFor(issue);
}

/** A review of three line comments on GitHub, and its webhooks as GitHub sends them. */
function submitReview(pull: PullView) {
  const { threads } = world.github.submitReview(OWNER, REPO, pull.number, {
    user: REVIEWER,
    comments: [
      { path: "greet.js", line: 1, body: "Should greet() take a title too?" },
      { path: "greet.js", line: 1, body: "Why a template string here?" },
      { path: ".github/stamina.yml", line: 1, body: "Is this check enough?" },
    ],
  });
  const where = { owner: OWNER, repo: REPO, pull: pull.number, title: pull.title };
  const review = pullRequestPayload<
    PullRequestEventPayload & { review: { state: string; body: string | null } }
  >("pull_request_review", "submitted", { ...where, sender: REVIEWER });
  review.review.state = "changes_requested";
  review.review.body = null;
  const comments = threads.map((t) =>
    reviewCommentPayload({ ...where, author: REVIEWER, commentId: t.commentId }),
  );
  return { threads, review, comments };
}

/** Posts a webhook to serve, which accepts it. Its delivery id. */
async function deliver(event: string, payload: unknown): Promise<string> {
  const posted = await world.send(webhooks, event, payload);
  expect(posted.status).toBe(202);
  return posted.deliveryId;
}

async function handled(deliveries: string[]): Promise<void> {
  for (const id of deliveries) {
    const outcome = await waitFor(async () => {
      const [row] = await world.query<{ outcome: string | null }>(
        "select outcome from deliveries where id = ?",
        [id],
      );
      return row?.outcome ?? undefined;
    }, `delivery ${id} to be handled`);
    expect(outcome).toBe("ok");
  }
}

interface RoundRow {
  id: string;
  state: string;
  outcome: string | null;
}

const rounds = (pull: number) =>
  world.query<RoundRow>(
    "select id, state, outcome from runs where kind = 'follow_up' and issue_number = ? order by created_at",
    [pull],
  );

/** The rounds on `pull` once there are at least `count` and all of them have ended. */
async function finishedRounds(pull: number, count: number): Promise<RoundRow[]> {
  return waitFor(
    async () => {
      const rows = await rounds(pull);
      return rows.length >= count && rows.every((r) => TERMINAL.includes(r.state))
        ? rows
        : undefined;
    },
    `${count} rounds on #${pull} to finish`,
    60_000,
  );
}

const triggers = async (runId: string) =>
  (await world.query("select delivery_id from run_triggers where run_id = ?", [runId])).length;

/** Conversations the model had for rounds on `pull` (each starts with step 1). */
const conversations = (pull: number) =>
  world.model.requests.filter(
    (r) =>
      JSON.stringify(r.body).includes(`Reviewers commented on pull request #${pull}`) &&
      r.body.messages.filter((m) => m.role === "assistant").length === 0,
  ).length;

describe("a review under a running worker", () => {
  it("of three line comments, delivered tens of ms apart, makes one round", async () => {
    const pull = await pullRequestFor(1);
    writeFileSync(gate(pull.number), "");
    const { threads, review, comments } = submitReview(pull);
    const deliveries = [await deliver("pull_request_review", review)];
    for (const [i, comment] of comments.entries()) {
      await pause(20 + 15 * i);
      deliveries.push(await deliver("pull_request_review_comment", comment));
    }
    await handled(deliveries);
    const ended = await finishedRounds(pull.number, 1);
    expect(ended).toHaveLength(1);
    const [round] = ended;
    expect(round).toMatchObject({ state: "succeeded" });
    expect(await triggers(round!.id)).toBe(4);
    expect(conversations(pull.number)).toBe(1);
    const after = world.github.reviewThreads(OWNER, REPO, pull.number);
    expect(after.map((t) => t.id)).toEqual(threads.map((t) => t.threadId));
    for (const thread of after) {
      expect(thread.comments.map((c) => c.user)).toEqual([REVIEWER, "stamina[bot]"]);
    }
    expect(world.github.labels(OWNER, REPO, pull.number)).toEqual(["stamina:done"]);
  }, 120_000);

  it("whose last comment's webhook comes once the round took it up makes an empty round that changes nothing", async () => {
    const pull = await pullRequestFor(2);
    const { review, comments } = submitReview(pull);
    const early = [await deliver("pull_request_review", review)];
    for (const comment of comments.slice(0, 2)) {
      await pause(30);
      early.push(await deliver("pull_request_review_comment", comment));
    }
    await handled(early);
    // The round is under way, with all three threads: GitHub delivers the last comment now.
    await waitFor(() => (existsSync(started(pull.number)) ? true : undefined), "the round", 60_000);
    const late = await deliver("pull_request_review_comment", comments[2]);
    await handled([late]);
    const [queued] = (await rounds(pull.number)).slice(1);
    expect(queued).toMatchObject({ state: "queued" });
    writeFileSync(gate(pull.number), "");
    await waitFor(
      async () => ((await rounds(pull.number))[0]!.state === "succeeded" ? true : undefined),
      "the first round to finish",
      60_000,
    );
    // What the pull request shows once the first round answered: the empty round changes none of it.
    const shown = () => ({
      labels: world.github.labels(OWNER, REPO, pull.number),
      comments: world.github.issueComments(OWNER, REPO, pull.number),
      checks: world.github.checkRuns(OWNER, REPO),
      body: world.github.pulls(OWNER, REPO).find((p) => p.number === pull.number)?.body,
      threads: world.github.reviewThreads(OWNER, REPO, pull.number),
    });
    const before = shown();
    const ended = await finishedRounds(pull.number, 2);
    expect(ended).toHaveLength(2);
    const [first, empty] = ended;
    expect(empty).toMatchObject({
      state: "succeeded",
      outcome: "nothing to answer: no review thread waits for Stamina",
    });
    expect(first).toMatchObject({ state: "succeeded", outcome: "answered 3 of 3 review threads" });
    expect(shown()).toEqual(before);
    expect(before.labels).toEqual(["stamina:done"]);
    expect(conversations(pull.number)).toBe(1);
  }, 120_000);
});
