// `/stamina rollback` and `/stamina status` end to end: a real run against the
// fake GitHub and the scripted model pushes three checkpoints (the
// `checkpoint` tool, a green verification, the work so far at a budget limit); then signed
// `issue_comment` webhooks go through the real app, the rollback is queued
// and the real executor carries it out. What is asserted is what GitHub
// shows (the branch, its commits and trees, comments, reactions, check runs)
// and the run's audit log.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyChain } from "../../src/audit/verify.ts";
import type { Run } from "../../src/store/types.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { appBesideHarness, type AppBesideHarness } from "../support/app-beside-harness.ts";
import { pushPersonCommit } from "../support/person-commit.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";

const FILES = {
  "a.txt": "one\n",
  "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
};

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

const edit = (from: string, to: string) => reply(editFile("a.txt", from, to));

/**
 * A run on issue 1 that pushes three checkpoints: 1 by the `checkpoint` tool (a.txt says two),
 * 2 by a green verification (and b.txt), 3 the work so far (WIP) when the step budget ran out,
 * after the review broke the check (a.txt says three).
 */
async function runWithCheckpoints(): Promise<{ run: Run; shas: string[] }> {
  await h.model([
    edit("one", "two"),
    reply(toolUse("checkpoint", { message: "Make a.txt say two" })),
    reply(toolUse("bash", { command: "printf 'extra\\n' > b.txt" })),
    reply(text("a.txt says two.")),
    edit("two", "three"),
    reply(text("a.txt says three now.")),
  ]);
  await h.queue({ test: "sh check.sh", budget: { steps: 6 } });
  const waiting = await h.execute(await h.claim(), {}, { progressIntervalMs: 0 });
  // Out of steps, the run asks for more; a writer says no, and it ends with the work pushed.
  expect(waiting.state).toBe("awaiting_approval");
  const run = await h.decide(waiting, false, { progressIntervalMs: 0 });
  const events = await h.store.audit.events(run.id);
  const shas = events.filter((e) => e.type === "git.push").map((e) => String(e.data.sha));
  const reasons = events.filter((e) => e.type === "git.commit").map((e) => e.data.reason);
  expect(reasons).toEqual(["tool", "verified", "budget"]);
  expect(shas).toHaveLength(3);
  expect(h.git("rev-parse", run.branch!)).toBe(shas[2]);
  return { run, shas };
}

const tree = (rev: string) => h.git("rev-parse", `${rev}^{tree}`);

/** Stamina's comments on issue 1 (or pull request `on`) but the tracking comment. */
const answers = (on = 1) =>
  h.github
    .issueComments(OWNER, REPO, on)
    .filter((c) => c.user === "stamina[bot]")
    .map((c) => c.body)
    .filter((body) => body !== "tracking" && !body.startsWith("<!-- stamina:tracking -->"));

/** The queued rollback, claimed and carried out by the real executor. */
async function carryOut(): Promise<Run> {
  const job = await h.claim();
  expect(job.kind).toBe("rollback");
  return h.execute(job);
}

/** A commit by someone else on the branch, pushed straight to the repository. */
const humanCommit = (branch: string) =>
  pushPersonCommit(h.bare, {
    branch,
    files: { "human.txt": "mine\n" },
    message: "Add my notes",
    author: { name: "Hu Man", email: "hu@example.com" },
  });

describe("/stamina rollback", () => {
  it("alone goes back to the last green checkpoint with a new commit on top, recorded in the run's audit log", async () => {
    const { run, shas } = await runWithCheckpoints();
    const asked = await app.comment("/stamina rollback");
    expect(app.reactions(asked)).toEqual(["+1"]);

    const job = await carryOut();
    expect(job).toMatchObject({ state: "succeeded" });
    const branch = run.branch!;
    const tip = h.git("rev-parse", branch);
    // A new commit with checkpoint 2's files, whose parent is where the branch was: no force-push.
    expect(tree(tip)).toBe(tree(shas[1]!));
    expect(h.git("rev-parse", `${tip}^`)).toBe(shas[2]);
    expect(h.git("show", `${tip}:a.txt`)).toBe("two");
    expect(h.git("show", `${tip}:b.txt`)).toBe("extra");

    // The run's audit log: the commit, the push and the rollback, on a chain that verifies.
    const events = await h.store.audit.events(run.id);
    expect(verifyChain(events)).toMatchObject({ ok: true });
    const rolled = events.find((e) => e.type === "rollback.committed");
    expect(rolled?.data).toMatchObject({
      from: shas[2],
      to: shas[1],
      checkpoint: 2,
      sha: tip,
      by: "@maintainer",
    });
    const committed = events.find((e) => e.type === "git.commit" && e.data.sha === tip);
    expect(committed?.data.reason).toBe("rollback");
    // The commit's trailer is the chain's head when it was made.
    const message = h.git("log", "-1", "--format=%B", tip);
    expect(message).toContain(`Stamina-Audit: ${String(committed?.data.auditHead)}`);
    expect(message).toContain("Co-authored-by: maintainer");
    expect(h.git("log", "-1", "--format=%an", tip)).toBe("stamina[bot]");
    expect((await h.store.runs.mustGet(run.id)).headSha).toBe(tip);

    // What GitHub shows: the answer, the tracking comment, the audit log on the new head.
    expect(answers().at(-1)).toContain(
      `Stamina rolled branch \`${branch}\` back to checkpoint 2 (\`${shas[1]!.slice(0, 7)}\`, verification passed) with a new commit, ${tip.slice(0, 7)}`,
    );
    expect(h.github.issueComments(OWNER, REPO, 1)[0]?.body).toContain(
      "↩️ @maintainer rolled branch",
    );
    const audit = h.github
      .checkRuns(OWNER, REPO)
      .filter((c) => c.name.startsWith("Stamina audit log") && c.headSha === tip);
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.map((c) => c.text ?? "").join("")).toContain("rollback.committed");
  }, 60_000);

  it("to a named checkpoint (a commit) over a human's commit, and says that commit is undone in the tree", async () => {
    const { run, shas } = await runWithCheckpoints();
    const branch = run.branch!;
    const theirs = humanCommit(branch);
    await app.comment(`/stamina rollback ${shas[0]!.slice(0, 9)}`);
    expect(await carryOut()).toMatchObject({ state: "succeeded" });

    const tip = h.git("rev-parse", branch);
    expect(tree(tip)).toBe(tree(shas[0]!));
    expect(h.git("rev-parse", `${tip}^`)).toBe(theirs);
    const said = answers().at(-1) ?? "";
    expect(said).toContain("back to checkpoint 1");
    expect(said).toContain("commits Stamina did not make");
    expect(said).toContain(`\`${theirs.slice(0, 7)}\` Add my notes (Hu Man)`);
    const rolled = (await h.store.audit.events(run.id)).find(
      (e) => e.type === "rollback.committed",
    );
    expect(rolled?.data).toMatchObject({ to: shas[0], checkpoint: 1, undone: [theirs] });
  }, 60_000);

  it("to a checkpoint by its number", async () => {
    const { run, shas } = await runWithCheckpoints();
    await app.comment("/stamina rollback 1");
    expect(await carryOut()).toMatchObject({ state: "succeeded" });
    expect(tree(h.git("rev-parse", run.branch!))).toBe(tree(shas[0]!));
  }, 60_000);

  it("on the run's pull request rolls its branch back and answers there", async () => {
    const { run, shas } = await runWithCheckpoints();
    expect(run.pullNumber).toBe(101);
    const asked = await app.comment("/stamina rollback 1", { on: 101 });
    expect(app.reactions(asked)).toEqual(["+1"]);
    expect(await carryOut()).toMatchObject({ state: "succeeded" });
    expect(tree(h.git("rev-parse", run.branch!))).toBe(tree(shas[0]!));
    expect(answers(101).at(-1)).toContain("back to checkpoint 1");
    const status = await app.comment("/stamina status", { on: 101 });
    expect(app.reactions(status)).toEqual(["+1"]);
    const said = answers(101).at(-1) ?? "";
    expect(said).toContain("Stamina's status on issue #1");
    expect(said).toContain(`4. \`${h.git("rev-parse", run.branch!).slice(0, 7)}\` rollback`);
  }, 60_000);

  it("is refused in words: no branch yet, an unknown checkpoint (listing the known ones), an active run", async () => {
    const before = await app.comment("/stamina rollback");
    expect(app.reactions(before)).toEqual(["confused"]);
    expect(answers().at(-1)).toContain("nothing to roll back");

    const { shas } = await runWithCheckpoints();
    const unknown = await app.comment("/stamina rollback 9");
    expect(app.reactions(unknown)).toEqual(["confused"]);
    const listed = answers().at(-1) ?? "";
    expect(listed).toContain("There is no checkpoint 9");
    expect(listed).toContain(`1. \`${shas[0]!.slice(0, 7)}\` checkpoint`);
    expect(listed).toContain(`2. \`${shas[1]!.slice(0, 7)}\` ✅ verification passed`);
    expect(listed).toContain(`3. \`${shas[2]!.slice(0, 7)}\` work so far at a budget limit (WIP)`);
    const notOurs = await app.comment("/stamina rollback deadbeef");
    expect(app.reactions(notOurs)).toEqual(["confused"]);
    expect(answers().at(-1)).toContain("`deadbeef` is not one of the checkpoints");

    await h.queue();
    const busy = await app.comment("/stamina rollback");
    expect(app.reactions(busy)).toEqual(["confused"]);
    expect(answers().at(-1)).toContain("Stop it first with `/stamina stop`");
    // Nothing was queued by any of them: the only queued run is the new one.
    const kinds = (await h.store.runs.list()).map((r) => r.kind);
    expect(kinds).toEqual(["issue", "issue"]);
  }, 60_000);

  it("from a reader or a bot is ignored: no answer, no reaction, nothing queued", async () => {
    await runWithCheckpoints();
    const before = answers().length;
    const reader = await app.comment("/stamina rollback 1", { by: "reader" });
    const bot = await app.comment("/stamina rollback 1", { by: { login: "ci[bot]", type: "Bot" } });
    expect(app.reactions(reader)).toEqual([]);
    expect(app.reactions(bot)).toEqual([]);
    expect(answers()).toHaveLength(before);
    expect((await h.store.runs.list()).map((r) => r.kind)).toEqual(["issue"]);
  }, 60_000);
});

describe("/stamina status", () => {
  it("on an issue with no run says so", async () => {
    const asked = await app.comment("/stamina status");
    expect(app.reactions(asked)).toEqual(["+1"]);
    expect(answers()).toEqual([
      "@maintainer Stamina has no run on this issue. A writer starts one with Stamina's label or `/stamina run`.",
    ]);
  });

  it("answers with one comment: state, phase, budget spent of its total, the link and the checkpoints", async () => {
    const { run, shas } = await runWithCheckpoints();
    const before = answers().length; // the run's own (its request for more budget)
    const asked = await app.comment("/stamina status");
    expect(app.reactions(asked)).toEqual(["+1"]);
    const said = answers().slice(before);
    expect(said).toHaveLength(1);
    const status = said[0]!;
    expect(status).toContain(`**State:** out of budget (${run.outcome})`);
    expect(status).toMatch(/\*\*Phase:\*\* \w/);
    expect(status).toMatch(/\*\*Budget spent:\*\* 6 of 6 steps, [\d,]+ of [\d,]+ tokens, \$/);
    expect(status).toContain(`**Run:** ${run.pullUrl} on branch \`${run.branch}\``);
    expect(status).toContain(`2. \`${shas[1]!.slice(0, 7)}\` ✅ verification passed`);
    expect(status).toContain(`3. \`${shas[2]!.slice(0, 7)}\` work so far at a budget limit (WIP)`);
  }, 60_000);

  it("from a reader is ignored", async () => {
    const asked = await app.comment("/stamina status", { by: "reader" });
    expect(app.reactions(asked)).toEqual([]);
    expect(answers()).toEqual([]);
  });
});
