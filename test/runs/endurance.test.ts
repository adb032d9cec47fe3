// Runs on GitHub that outlast one session, in process against the fake GitHub
// and the scripted model: the repository's memory carried from one run to the
// next and written by two runs at once without loss, and a watchdog pause
// that leaves the run in awaiting_reply with a comment, its worker released,
// until an answer sends it back to the queue to resume where it stopped,
// reading the answer first, and not again when it is resumed once more.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ShutdownRequested } from "../../src/runs/interruptions.ts";
import { issueOf } from "../support/by-step.ts";
import type { RecordedModelRequest, ScriptedReply } from "../support/model-server/index.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { byStep, OWNER, REPO, startHarness, stepOf, type Harness } from "../support/run-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ "a.txt": "one\n" });
});
afterEach(() => h.close());

const makeItTwo = reply(editFile("a.txt", "one", "two"));
const remember = (input: Record<string, unknown>) => reply(toolUse("memory", input));
const taskOf = (request: RecordedModelRequest) => JSON.stringify(request.body.messages[0]);

/** A script for several issues at once: each issue's steps, answered by the step asked. */
function perIssue(steps: Record<number, ScriptedReply[]>) {
  return byStep(
    Array.from({ length: 20 }, () => (request: RecordedModelRequest) => {
      const answer = steps[issueOf(request).number]?.[stepOf(request) - 1];
      if (!answer)
        throw new Error(`no step ${stepOf(request)} for issue ${issueOf(request).number}`);
      return answer;
    }),
    80,
  );
}

describe("memory on GitHub runs", () => {
  it("carries the notes one run of a repository wrote into the next run's task", async () => {
    const server = await h.model(
      perIssue({
        1: [
          remember({
            command: "create",
            path: "/memories/demo.md",
            file_text: "a.txt holds the number as a word.",
          }),
          makeItTwo,
          reply(text("Done.")),
          reply(text("a.txt says two.")),
        ],
        2: [makeItTwo, reply(text("Done.")), reply(text("a.txt says two."))],
      }),
    );
    const first = await h.queue({}, 1);
    expect((await h.execute(await h.claim())).state).toBe("succeeded");
    await h.queue({}, 2);
    expect((await h.execute(await h.claim())).state).toBe("succeeded");

    const second = server.requests.find((r) => issueOf(r).number === 2)!;
    expect(taskOf(second)).toContain(
      "<memory_notes>\\n--- /memories/demo.md ---\\na.txt holds the number as a word.\\n</memory_notes>",
    );
    const firstTask = server.requests.find((r) => issueOf(r).number === 1)!;
    expect(taskOf(firstTask)).toContain("(/memories is empty: no notes yet.)");
    const [file] = await h.store.memory.described(`${OWNER}/${REPO}`);
    expect(file?.updatedBy).toBe(first.id);
  });

  it("loses no note when two runs of the repository write their memory at once", async () => {
    await h.store.memory.edit(`${OWNER}/${REPO}`, () => ({
      result: null,
      change: { put: [{ path: "/memories/log.md", content: "# Log" }], remove: [] },
    }));
    // Each run waits at its first step for the other, then both write many notes in one turn, at
    // the same time. (That each edit is serialised, on both engines and across connections, is
    // proven by the store contract; this is the whole path, tool to store, under two runs.)
    const meet = (issue: number) =>
      reply(
        toolUse("bash", {
          command: `touch ${h.dir}/at-${issue}; for i in $(seq 200); do [ -e ${h.dir}/at-${3 - issue} ] && exit 0; sleep 0.05; done; exit 1`,
        }),
      );
    const notes = (issue: number) =>
      reply(
        ...Array.from({ length: 20 }, (_, k) =>
          toolUse("memory", {
            command: "insert",
            path: "/memories/log.md",
            insert_line: 1,
            insert_text: `issue ${issue} note ${k}`,
          }),
        ),
      );
    await h.model(
      perIssue({
        1: [meet(1), notes(1), makeItTwo, reply(text("Done.")), reply(text("Two."))],
        2: [meet(2), notes(2), makeItTwo, reply(text("Done.")), reply(text("Two."))],
      }),
    );
    await h.queue({}, 1);
    await h.queue({}, 2);
    const runs = [await h.claim("worker-1"), await h.claim("worker-2")];
    const finished = await Promise.all(runs.map((run) => h.execute(run)));
    expect(finished.map((r) => r.state)).toEqual(["succeeded", "succeeded"]);
    const [log] = await h.store.memory.files(`${OWNER}/${REPO}`);
    const lines = log!.content.split("\n");
    expect(lines[0]).toBe("# Log");
    expect(lines.slice(1).sort()).toEqual(
      [1, 2].flatMap((i) => Array.from({ length: 20 }, (_, k) => `issue ${i} note ${k}`)).sort(),
    );
  });
});

describe("a watchdog pause on GitHub", () => {
  it("leaves the run awaiting a reply with a comment that says why, and resumes it once answered", async () => {
    const look = reply(toolUse("str_replace_based_edit_tool", { command: "view", path: "a.txt" }));
    // The worker that takes the answered run is asked to shut down during step 7, so the run is
    // resumed once more after the answer was read.
    const drain = new AbortController();
    const server = await h.model(
      byStep([
        look,
        look,
        look,
        look,
        look,
        look,
        () => (drain.abort(new ShutdownRequested()), makeItTwo),
        reply(text("Done.")),
        reply(text("Two.")),
      ]),
    );
    await h.queue();
    const paused = await h.execute(await h.claim());
    expect(paused).toMatchObject({ state: "awaiting_reply", leaseOwner: null, agentOutcome: null });
    const comments = h.github.issueComments(OWNER, REPO, 1).map((c) => c.body);
    const pause = comments.find((b) => b.startsWith("⏸️"));
    expect(pause).toContain("Stamina paused this run");
    expect(pause).toContain(
      "**What went wrong:** The watchdog paused the run at step 6: the same tool call (str_replace_based_edit_tool",
    );
    expect(pause).toContain("**How to answer:** reply to this issue with a comment");
    expect(pause).toContain("`/stamina stop`");
    // The tracking comment (the first) says the run waits, and why.
    expect(h.comment()).toContain("⏸️ Stamina is waiting for an answer on branch");
    expect(h.comment()).toContain("(6 of 50 steps used): The watchdog paused the run at step 6");
    const types = (await h.store.audit.events(paused.id)).map((e) => e.type);
    expect(types.filter((t) => t.startsWith("watchdog."))).toEqual([
      "watchdog.signal",
      "watchdog.nudge",
      "watchdog.signal",
      "watchdog.pause",
    ]);
    expect(types.at(-1)).toBe("run.paused");
    // No worker takes it, and no pull request was opened, until someone answers.
    expect(await h.store.leases.claimNext("worker-2", 60_000)).toBeUndefined();
    expect(h.github.pulls(OWNER, REPO)).toHaveLength(0);
    expect((await h.store.checkpoints.load(paused.id))?.step).toBe(6);

    // Back in the queue without an answer (a crash between the comment and the pause, say): it
    // pauses again at once, asking the model nothing, and finds its comment rather than repost it.
    expect(await h.store.pauses.answer(paused.id)).toBe(true);
    const again = await h.execute(await h.claim("worker-2"));
    expect(again).toMatchObject({ state: "awaiting_reply", leaseOwner: null });
    expect(server.requests).toHaveLength(6);
    expect(
      h.github.issueComments(OWNER, REPO, 1).filter((c) => c.body.startsWith("⏸️")),
    ).toHaveLength(1);

    expect(
      await h.store.pauses.answer(paused.id, {
        deliveryId: "reply-1",
        by: "maintainer",
        text: "Stop reading a.txt; the issue only needs it to say two.",
      }),
    ).toBe(true);
    const released = await h.execute(await h.claim("worker-2"), { drain: drain.signal });
    expect(released).toMatchObject({ state: "queued", leaseOwner: null });
    // The resumed run asked for step 7 next, from the transcript as it was, with the answer last.
    const seventh = server.requests[6]!;
    expect(stepOf(seventh)).toBe(7);
    const last = JSON.stringify(seventh.body.messages.at(-1));
    const answered = "The run was paused, and @maintainer, a maintainer of this repository";
    expect(last).toContain(answered);
    expect(last).toContain("Stop reading a.txt; the issue only needs it to say two.");
    expect((await h.store.checkpoints.load(paused.id))!.step).toBe(7);

    // The answer is in the transcript now: resumed again, the run is not given it again.
    const resumed = await h.execute(await h.claim("worker-3"));
    expect(resumed.state).toBe("succeeded");
    const eighth = server.requests[7]!;
    expect(stepOf(eighth)).toBe(8);
    expect(JSON.stringify(eighth.body.messages.at(-1))).not.toContain(answered);
    for (const request of server.requests.slice(7)) {
      expect(JSON.stringify(request.body.messages).split(answered)).toHaveLength(2);
    }
    const after = (await h.store.audit.events(paused.id)).map((e) => e.type);
    expect(after.filter((t) => t === "agent.answered")).toHaveLength(1);
    expect(after).toContain("agent.answered");
    expect(h.show(`${h.github.pulls(OWNER, REPO)[0]!.head}:a.txt`)).toBe("two\n");
    // Four executions of a run: on a busy two-core machine, more than the default 30 s.
  }, 120_000);
});
