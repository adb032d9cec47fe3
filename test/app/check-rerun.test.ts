// "Re-run" on the Stamina check, end to end: a real run opens a pull request
// with its Stamina check against the fake GitHub and the scripted model; then
// GitHub's example `check_run.rerequested`, moved onto that check, goes
// through the real app, which queues a re-run of the checks on the pull
// request, and the real executor runs the repository's checks on the pull
// request's head and shows the result on a new Stamina check there. Another
// app's check, a reader's re-run and a re-run while a run is going queue
// nothing.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyChain } from "../../src/audit/verify.ts";
import { ShutdownRequested } from "../../src/runs/interruptions.ts";
import type { Run } from "../../src/store/types.ts";
import { appBesideHarness, type AppBesideHarness } from "../support/app-beside-harness.ts";
import { editFile, reply, text } from "../support/model-server/index.ts";
import { pushPersonCommit } from "../support/person-commit.ts";
import { OWNER, REPO, REQUESTER_ID, startHarness, type Harness } from "../support/run-harness.ts";
import { checkRunRerequestedPayload, type Account } from "../support/webhooks.ts";

const CONFIG = "test: sh check.sh\n";
const FILES = {
  "a.txt": "one\n",
  "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
  ".github/stamina.yml": CONFIG,
};
const MAINTAINER: Account = { login: "maintainer", id: REQUESTER_ID, type: "User" };

let h: Harness;
let app: AppBesideHarness;

beforeEach(async () => {
  h = await startHarness(FILES);
  app = await appBesideHarness(h);
});

afterEach(async () => {
  await app.close();
  await h.close();
});

/** Issue 1's run, to its pull request with a green Stamina check. */
async function openedPullRequest(): Promise<Run> {
  await h.model([
    reply(editFile("a.txt", "one", "two")),
    reply(text("a.txt says two.")),
    reply(text("Changed a.txt from one to two.")),
  ]);
  await h.queue({ test: "sh check.sh" });
  const run = await h.execute(await h.claim(), {}, { progressIntervalMs: 0 });
  expect(run).toMatchObject({ state: "succeeded" });
  expect(run.pullNumber).not.toBeNull();
  expect(run.checkRun).not.toBeNull();
  return run;
}

/** "Re-run" pressed on the Stamina check of `run` by `sender`; the delivery handled. */
function rerun(run: Run, sender: Account = MAINTAINER): Promise<string> {
  const payload = checkRunRerequestedPayload({
    owner: OWNER,
    repo: REPO,
    github: h.github,
    check: {
      id: run.checkRun!.id,
      name: "Stamina",
      externalId: run.id,
      headSha: run.checkRun!.sha,
    },
    sender,
  });
  return app.send("check_run", payload);
}

const staminaChecks = (sha: string) =>
  h.github.checkRuns(OWNER, REPO).filter((c) => c.name === "Stamina" && c.headSha === sha);

describe("Re-run on the Stamina check", () => {
  it("runs the checks again on the pull request's head and shows the result there", async () => {
    const opened = await openedPullRequest();
    const pull = opened.pullNumber!;

    await rerun(opened);
    const queued = await h.store.runs.activeOn(OWNER, REPO, pull);
    expect(queued).toMatchObject({ kind: "recheck", issueNumber: pull, state: "queued" });
    const green = await h.execute(await h.claim("worker-2"));
    const head = opened.checkRun!.sha;
    expect(green).toMatchObject({
      state: "succeeded",
      outcome: `Checks passed on ${head.slice(0, 7)}`,
    });
    const [, again] = staminaChecks(head);
    expect(again).toMatchObject({
      externalId: green.id,
      status: "completed",
      conclusion: "success",
    });
    expect(again?.summary).toContain("@maintainer re-ran the Stamina check.");
    expect(again?.summary).toContain("✅ `sh check.sh` passed");

    // A person's commit breaks the check; re-running the re-run checks the new head.
    const theirs = pushPersonCommit(h.bare, {
      branch: opened.branch!,
      files: { "a.txt": "one again\n" },
      message: "Back to one",
      author: { name: "Hu Man", email: "hu@example.com" },
    });
    await rerun(await h.store.runs.mustGet(green.id));
    const red = await h.execute(await h.claim("worker-3"));
    expect(red).toMatchObject({ kind: "recheck", state: "succeeded" });
    const [check] = staminaChecks(theirs);
    expect(check).toMatchObject({
      externalId: red.id,
      conclusion: "failure",
      title: `Checks failed on ${theirs.slice(0, 7)}`,
    });
    expect(check?.summary).toContain("❌ `sh check.sh` exited with code 3");
    expect(check?.summary).toContain("a.txt lacks two");

    // Its own audit log, which says what it ran on; nothing was pushed.
    const events = await h.store.audit.events(red.id);
    expect(verifyChain(events)).toMatchObject({ ok: true });
    expect(events.find((e) => e.type === "verify.result")?.data).toMatchObject({
      phase: "recheck",
      sha: theirs,
      passed: false,
    });
    expect(events.map((e) => e.type)).not.toContain("git.push");
    expect(h.git("rev-parse", opened.branch!)).toBe(theirs);
    // `/stamina status` and rollbacks still see the run that did the work.
    expect((await h.store.rollbacks.lastRunOn(OWNER, REPO, pull))?.id).toBe(opened.id);
  }, 90_000);

  it("goes back to the queue when its worker shuts down, and says so on the check", async () => {
    const opened = await openedPullRequest();
    const head = opened.checkRun!.sha;
    await rerun(opened);
    const drain = new AbortController();
    drain.abort(new ShutdownRequested());
    const released = await h.execute(await h.claim("worker-2"), { drain: drain.signal });
    expect(released).toMatchObject({ kind: "recheck", state: "queued", leaseOwner: null });
    const [, waiting] = staminaChecks(head);
    expect(waiting).toMatchObject({
      externalId: released.id,
      status: "in_progress",
      title: "Queued to run again after a restart",
    });
    const done = await h.execute(await h.claim("worker-3"));
    expect(done).toMatchObject({ id: released.id, state: "succeeded" });
    expect(staminaChecks(head)[1]).toMatchObject({ status: "completed", conclusion: "success" });
  }, 60_000);

  it("queues nothing for another app's check, a reader, or while a run is going", async () => {
    const opened = await openedPullRequest();
    const pull = opened.pullNumber!;
    const another = checkRunRerequestedPayload({
      owner: OWNER,
      repo: REPO,
      github: h.github,
      check: {},
      sender: MAINTAINER,
    });
    await app.send("check_run", another);
    await rerun(opened, { login: "reader", type: "User" });
    expect(await h.store.runs.activeOn(OWNER, REPO, pull)).toBeUndefined();

    // A review round is going on the pull request: its own check says how it goes.
    await app.comment("@stamina please also say why", { on: pull });
    const round = await h.store.runs.activeOn(OWNER, REPO, pull);
    expect(round?.kind).toBe("follow_up");
    await rerun(opened);
    expect((await h.store.runs.activeOn(OWNER, REPO, pull))?.id).toBe(round?.id);
    const kinds = await Promise.all(
      [round!.id, opened.id].map(async (id) => (await h.store.runs.mustGet(id)).kind),
    );
    expect(kinds).toEqual(["follow_up", "issue"]);
    expect(
      app.logLines.some(
        (l) => l.msg === "a run is under way on the pull request; its check says how",
      ),
    ).toBe(true);
  }, 60_000);
});
