// `/stamina retry` end to end (command-world.ts): a run that ran out of budget
// is continued by a new run from its last checkpoint, on the same branch and
// pull request, with the earlier transcript and a fresh budget; with nothing
// to retry (no run, one still going, one that succeeded) the command gets 😕
// and a comment saying why.
import { afterEach, describe, expect, it } from "vitest";
import { parseCommands } from "../../src/app/commands.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { ORG, REPO, startCommandWorld, type CommandWorld } from "./command-world.ts";

const FILES = {
  "a.txt": "one\n",
  "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
  ".github/stamina.yml": "test: sh check.sh\nbudget:\n  steps: 2\n",
};

let w: CommandWorld;
afterEach(() => w.close());

const reactions = (commentId: number) => w.github.commentReactions(ORG, REPO, commentId);

describe("/stamina retry", () => {
  it("continues a run that ran out of budget: same branch and pull request, its transcript, a fresh budget", async () => {
    w = await startCommandWorld(FILES);
    await w.comment("/stamina run");
    await w.model([
      reply(editFile("a.txt", "one", "two")),
      reply(toolUse("bash", { command: "cat a.txt" })),
    ]);
    // Out of steps, the run asks for more; a writer says no, and it ends out of budget.
    expect(await w.work()).toMatchObject({ state: "awaiting_approval", stepsUsed: 2 });
    const { commentId: denied } = await w.comment("/stamina deny");
    expect(reactions(denied)).toEqual(["+1"]);
    const first = await w.work();
    expect(first).toMatchObject({ state: "out_of_budget", stepsUsed: 2 });
    expect(w.github.pulls(ORG, REPO)).toMatchObject([{ draft: true }]);

    const { commentId } = await w.comment("/stamina retry");
    expect(reactions(commentId)).toEqual(["+1"]);
    const retried = (await w.app.store.runs.list()).find((r) => r.id !== first.id)!;
    expect(retried).toMatchObject({
      continues: first.id,
      state: "queued",
      branch: first.branch,
      pullNumber: first.pullNumber,
      // A whole budget again, on top of the two steps the first run spent.
      config: { budget: { steps: 4 } },
    });
    // A new tracking comment; the first run's stays as the record of how it ended.
    const comments = w.comments();
    expect(comments).toHaveLength(3);
    expect(comments[0]).toContain(first.id);
    expect(comments[1]).toContain("ran out"); // the question the deny answered
    expect(comments[2]).toContain(retried.id);
    expect((await w.app.store.audit.events(retried.id))[0]).toMatchObject({
      type: "run.queued",
      data: { command: "retry", continues: first.id },
    });

    const model = await w.model([
      reply(text("a.txt says two, as asked.")),
      reply(text("a.txt says two now.")),
    ]);
    const done = await w.work();
    expect(done).toMatchObject({ state: "succeeded", branch: first.branch, stepsUsed: 4 });
    // The model read on from the earlier run's transcript, not from the task alone.
    const earlier = (await w.app.store.checkpoints.load(first.id))!.messages.length;
    expect(model.requests[0]!.body.messages.length).toBeGreaterThanOrEqual(earlier);
    expect(JSON.stringify(model.requests[0]!.body.messages)).toContain("cat a.txt");
    // One pull request, now ready for review.
    expect(w.github.pulls(ORG, REPO)).toMatchObject([{ number: first.pullNumber, draft: false }]);
    const events = await w.app.store.audit.events(done.id);
    expect(events.find((e) => e.type === "run.resumed")?.data).toMatchObject({ fromStep: 2 });
    expect(events.some((e) => e.type === "git.rewind")).toBe(false);

    // The last run succeeded: nothing to retry.
    const again = await w.comment("/stamina retry");
    expect(reactions(again.commentId)).toEqual(["confused"]);
    expect(w.comments().at(-1)).toBe(
      "@maintainer: Stamina did not retry: the last run on this issue succeeded, so there is nothing to retry; `/stamina run` starts a new one.",
    );
    for (const body of w.comments()) expect(parseCommands(body)).toEqual([]);
  });

  it("with no run on the issue, or one still going, says why and reacts 😕", async () => {
    w = await startCommandWorld(FILES);
    const none = await w.comment("/stamina retry");
    expect(reactions(none.commentId)).toEqual(["confused"]);
    expect(w.comments()).toEqual([
      "@maintainer: Stamina did not retry: this issue has no run to retry; `/stamina run` starts one.",
    ]);
    await w.comment("/stamina run");
    const going = await w.comment("/stamina retry");
    expect(reactions(going.commentId)).toEqual(["confused"]);
    expect(w.comments().at(-1)).toContain("a run is still going on this issue (queued)");
    expect(await w.app.store.runs.list()).toHaveLength(1);
    for (const body of w.comments()) expect(parseCommands(body)).toEqual([]);
  });
});
