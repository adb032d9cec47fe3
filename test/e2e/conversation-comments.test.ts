// Comments on the conversation of Stamina's pull request, end to end: the app's real webhook path
// (GitHub's example issue_comment payload, moved onto the pull request) against the fake GitHub,
// whose `GET /app` names the app. People talk to each other there: only a comment that mentions
// the app starts a round, unless the repository says `reviews.conversation: all`; the answer to
// a question Stamina asked needs no mention. The scripted model plays the agent.
import { afterEach, describe, expect, it } from "vitest";
import { REVIEW_QUIET } from "../../src/app/handlers/review.ts";
import type { Run } from "../../src/store/types.ts";
import { appBesideHarness, type AppBesideHarness } from "../support/app-beside-harness.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";
import {
  editFile,
  reply,
  text,
  toolUse,
  type ScriptedTurn,
} from "../support/model-server/index.ts";

const FILES = {
  "a.txt": "one\n",
  "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
};
const PULL = 101;
const BRANCH = "stamina/1-make-it-two";

let h: Harness;
let app: AppBesideHarness;
afterEach(async () => {
  await app.close();
  await h.close();
});

/** The issue's run has opened pull request 101; the app listens, `reviewer` a writer too. */
async function openedPullRequest(files: Record<string, string> = {}): Promise<void> {
  h = await startHarness({ ...FILES, ...files });
  app = await appBesideHarness(h, { people: { reviewer: "write" } });
  await h.model([
    reply(editFile("a.txt", "one", "two")),
    reply(text("a.txt says two.")),
    reply(text("a.txt says two now, as the issue asks.")),
  ]);
  await h.queue({ test: "sh check.sh" });
  const first = await h.execute(await h.claim(), {}, { progressIntervalMs: 0 });
  expect(first.state).toBe("succeeded");
  expect(h.github.pulls(OWNER, REPO).map((p) => p.number)).toEqual([PULL]);
}

const say = (by: string, body: string) => app.comment(body, { by, on: PULL });

async function rounds(): Promise<Run[]> {
  return (await h.store.runs.list()).filter((r) => r.kind === "follow_up");
}

/** The queued round, once its pull request has been quiet long enough for a worker to take it. */
async function round(script: ScriptedTurn[]): Promise<Run> {
  await h.model(script);
  h.tick(REVIEW_QUIET.quietMs);
  return h.execute(await h.claim(), {}, { progressIntervalMs: 0 });
}

/** `GET /app` answered (auth-app first corrects its clock on a 401, which is not an answer). */
const appRequests = () =>
  h.github.requests.filter((r) => r.path === "/api/v3/app" && r.status === 200).length;

describe("a comment on the conversation of Stamina's pull request", () => {
  it("between two people starts no round, nor does a quoted or a code example of a mention", async () => {
    await openedPullRequest();
    const asked = appRequests();
    await say("maintainer", "@reviewer does the new wording read well to you?");
    await say("reviewer", "Reads well to me.");
    await say("reviewer", "> @stamina make it three\n\nSomeone asked that elsewhere; I would not.");
    await say("maintainer", "Agreed. The bot answers to `@stamina`, when we want it to.");
    expect(await rounds()).toEqual([]);
    // Asked of GitHub once, for the first comment that could mention the app, then kept.
    expect(appRequests() - asked).toBe(1);
  });

  it("that mentions the app starts a round; an unclear one gets a question and no commit", async () => {
    await openedPullRequest();
    const before = h.git("rev-parse", BRANCH);
    await say("reviewer", "@Stamina[bot] hmm, the other file.");
    const [queued] = await rounds();
    expect(queued).toMatchObject({ state: "queued", issueNumber: PULL });
    const finished = await round([
      (request) => {
        const task = JSON.stringify(request.body);
        expect(task).toContain("## Thread 1: a comment on the pull request's conversation");
        expect(task).toContain("@Stamina[bot] hmm, the other file.");
        // What the round is told to do with a comment that asks for nothing clear.
        expect(task).toContain(
          'When it does not clearly ask for anything (a remark, a thought aloud, a request that could mean more than one change), do not guess: call `answer_thread` with outcome \\"answered\\" and a reply that asks what they want, and change no code for it.',
        );
        return reply(
          toolUse("answer_thread", {
            thread: 1,
            outcome: "answered",
            reply: "Which file do you mean, and what should change in it?",
          }),
        );
      },
      reply(text("Asked what is wanted.")),
      reply(text("Asked the reviewer which file they mean; nothing changed.")),
    ]);
    expect(finished).toMatchObject({ state: "succeeded", kind: "follow_up" });
    expect(h.git("rev-parse", BRANCH)).toBe(before);
    const summary = h.github.issueComments(OWNER, REPO, PULL).map((c) => c.body);
    expect(summary.join("\n")).toContain(
      "@reviewer's comment: answered: Which file do you mean, and what should change in it?",
    );
    expect(summary.join("\n")).toContain("No commit in this round.");
  });

  it("that asks for a change gets a commit whose message is the model's, naming the thread", async () => {
    await openedPullRequest();
    await say("maintainer", "@stamina make it three, please.");
    const ending = [
      "## Summary",
      "a.txt says three now.",
      "",
      "## Commit message",
      "Make a.txt say three",
      "",
      "The maintainer asked for three on the pull request.",
      "Signed-off-by: Mallory <mallory@example.com>",
    ].join("\n");
    const finished = await round([
      reply(editFile("a.txt", "two", "three")),
      reply(
        toolUse("answer_thread", { thread: 1, outcome: "changed", reply: "a.txt says three." }),
      ),
      reply(text(ending)),
      reply(text(ending)),
      reply(text(ending)),
    ]);
    expect(finished).toMatchObject({ state: "succeeded", kind: "follow_up" });
    expect(h.show(`${BRANCH}:a.txt`)).toBe("three\n");
    const message = h.git("log", "-1", "--format=%B", BRANCH);
    expect(message).toMatch(
      /^Make a\.txt say three\n\nThe maintainer asked for three on the pull request\.\n/,
    );
    expect(message).toContain("Changes asked for in 1 review thread of pull request #101");
    expect(message).not.toContain("Mallory");
    expect(message).not.toContain("Answer review on");
  });

  it("with `reviews.conversation: all` starts a round whether it mentions the app or not", async () => {
    await openedPullRequest({ ".github/stamina.yml": "reviews:\n  conversation: all\n" });
    await say("maintainer", "@reviewer does the new wording read well to you?");
    await say("reviewer", "Reads well to me.");
    const queued = await rounds();
    expect(queued).toHaveLength(1);
    const triggers = await h.store.runs.triggers(queued[0]!.id);
    expect(triggers.map((t) => String((t.data as { body?: unknown }).body)).sort()).toEqual([
      "@reviewer does the new wording read well to you?",
      "Reads well to me.",
    ]);
  });

  it("that answers the question a round waits on needs no mention", async () => {
    await openedPullRequest();
    await say("maintainer", "@stamina say it louder.");
    const paused = await round([
      reply(toolUse("ask_human", { question: "Louder as in capitals, or with an exclamation?" })),
    ]);
    expect(paused).toMatchObject({ kind: "follow_up", state: "awaiting_reply" });
    const answer = await say("maintainer", "Capitals.");
    expect(app.reactions(answer)).toEqual(["+1"]);
    expect(await h.store.runs.mustGet(paused.id)).toMatchObject({ state: "queued" });
    const answers = (await h.store.runs.triggers(paused.id)).flatMap((t) => {
      const data = t.data as { answer?: unknown };
      return typeof data.answer === "string" ? [{ by: t.requestedBy, text: data.answer }] : [];
    });
    expect(answers).toEqual([{ by: "maintainer", text: "Capitals." }]);
    expect(await rounds()).toHaveLength(1);
  });

  it("mentions the app by the slug GitHub gives it now", async () => {
    await openedPullRequest();
    h.github.renameApp("stamina-dev");
    await say("maintainer", "@stamina make it three.");
    expect(await rounds()).toEqual([]);
    await say("maintainer", "@stamina-dev make it three.");
    expect(await rounds()).toHaveLength(1);
  });
});
