// A run nobody answers, in process against the fake GitHub and the scripted
// model: it waits the configured time, then the sweep stops it with a new
// comment on its issue, and the worker that picks it up pushes the work so far
// and ends it as cancelled. Answered in time, it is left alone.
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeWait, expireUnanswered } from "../../src/runs/expire-waiting.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { byStep, OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";

const WEEK = 7 * 24 * 3_600_000;

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ "a.txt": "one\n" });
});
afterEach(() => h.close());

const makeItTwo = reply(editFile("a.txt", "one", "two"));
const look = reply(toolUse("str_replace_based_edit_tool", { command: "view", path: "a.txt" }));

/** Edits a.txt, then looks at it until the watchdog pauses the run for a person. */
async function pausedRun() {
  await h.model(byStep([makeItTwo, look, look, look, look, look, look, reply(text("Done."))]));
  await h.queue();
  const paused = await h.execute(await h.claim());
  expect(paused.state).toBe("awaiting_reply");
  return paused;
}

const sweep = () =>
  expireUnanswered({
    store: h.store,
    github: h.port,
    log: pino({ level: "silent" }),
    timeoutMs: WEEK,
    now: () => new Date(h.now()),
  });

const stoppedComments = () =>
  h.github
    .issueComments(OWNER, REPO, 1)
    .filter((c) => c.body.startsWith("🛑 Stamina stopped this run"));

describe("a run nobody answers", () => {
  it("is stopped after the timeout with a comment, and its work so far is pushed", async () => {
    const paused = await pausedRun();
    h.tick(WEEK - 60_000);
    expect(await sweep()).toBe(0);
    expect((await h.store.runs.mustGet(paused.id)).state).toBe("awaiting_reply");

    h.tick(120_000);
    expect(await sweep()).toBe(1);
    expect(await h.store.runs.mustGet(paused.id)).toMatchObject({
      state: "queued",
      cancelRequestedBy: "Stamina",
      cancelReason: "gave up waiting: nobody answered its question in 7 days",
    });
    const [comment] = stoppedComments();
    expect(comment?.body).toContain("nobody answered its question in 7 days");
    expect(comment?.body).toContain("`/stamina retry`");
    // Swept again (by another worker, say): the run no longer waits; no second comment.
    expect(await sweep()).toBe(0);
    expect(stoppedComments()).toHaveLength(1);

    const ended = await h.execute(await h.claim("worker-2"));
    expect(ended.state).toBe("cancelled");
    expect(h.comment()).toContain(
      "🛑 Stamina stopped: Stamina gave up waiting: nobody answered its question in 7 days.",
    );
    const branch = (await h.store.runs.mustGet(paused.id)).branch!;
    expect(h.show(`${branch}:a.txt`)).toBe("two\n");
    const types = (await h.store.audit.events(paused.id)).map((e) => e.type);
    expect(types).toContain("run.expired");
    expect(types.at(-1)).toBe("run.finished");
  });

  it("is left alone when it is answered in time", async () => {
    const paused = await pausedRun();
    h.tick(WEEK - 60_000);
    await h.store.pauses.answer(paused.id, { deliveryId: "r", by: "maintainer", text: "Go on." });
    h.tick(120_000);
    expect(await sweep()).toBe(0);
    expect(stoppedComments()).toHaveLength(0);
    expect((await h.store.runs.mustGet(paused.id)).cancelRequestedBy).toBeNull();
  });

  it("says how long it waited in the unit a person would", () => {
    expect(describeWait(WEEK)).toBe("7 days");
    expect(describeWait(36 * 3_600_000)).toBe("36 hours");
    expect(describeWait(3_600_000)).toBe("1 hour");
  });
});
