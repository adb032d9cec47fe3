// `/stamina rollback` and `/stamina status` end to end: a real run against the
// fake GitHub and the scripted model pushes three checkpoints (the
// `checkpoint` tool, a green verification, the end of the run); then signed
// `issue_comment` webhooks go through the real app, the rollback is queued
// and the real executor carries it out. What is asserted is what GitHub
// shows (the branch, its commits and trees, comments, reactions, check runs)
// and the run's audit log.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyChain } from "../../src/audit/verify.ts";
import type { Run } from "../../src/store/types.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { examplePayload } from "../support/webhooks.ts";
import {
  HARNESS_APP_KEY,
  OWNER,
  REPO,
  startHarness,
  type Harness,
} from "../support/run-harness.ts";
import { startApp, type AppUnderTest } from "../support/app-harness.ts";

const FILES = {
  "a.txt": "one\n",
  "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
};

let h: Harness;
let app: AppUnderTest;

beforeEach(async () => {
  h = await startHarness(FILES);
  h.github.setPermission(OWNER, REPO, "maintainer", "write");
  h.github.setPermission(OWNER, REPO, "reader", "read");
  app = await startApp({
    apiUrl: h.github.apiUrl,
    store: h.store,
    now: () => h.now(),
    privateKey: HARNESS_APP_KEY,
  });
});

afterEach(async () => {
  await app.close();
  await h.close();
});

const edit = (from: string, to: string) => reply(editFile("a.txt", from, to));

/**
 * A run on issue 1 that pushes three checkpoints: 1 by the `checkpoint` tool (a.txt says two),
 * 2 by a green verification (and b.txt), 3 at the end, after the review broke the check
 * (a.txt says three) and the step budget ran out.
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
  expect(reasons).toEqual(["tool", "verified", "final"]);
  expect(shas).toHaveLength(3);
  expect(git("rev-parse", run.branch!)).toBe(shas[2]);
  return { run, shas };
}

function git(...args: string[]): string {
  return execFileSync("git", ["--git-dir", h.bare, ...args], { encoding: "utf8" }).trim();
}

const tree = (rev: string) => git("rev-parse", `${rev}^{tree}`);

interface CommentPayload {
  comment: { id: number; body: string };
  issue: { number: number; pull_request?: { url: string } };
  sender: { login: string; type: string };
  repository: { name: string; full_name: string; html_url: string; owner: { login: string } };
}

/** A comment on issue 1 (or pull request `on`), on the fake GitHub and as a signed webhook; its id. */
async function comment(
  body: string,
  sender = "maintainer",
  type = "User",
  on = 1,
): Promise<number> {
  const { id } = h.github.addComment(OWNER, REPO, on, { user: sender, body });
  const payload = examplePayload<CommentPayload>("issue_comment", "created");
  payload.repository.owner.login = OWNER;
  payload.repository.name = REPO;
  payload.repository.full_name = `${OWNER}/${REPO}`;
  payload.repository.html_url = `${h.github.url}/${OWNER}/${REPO}`;
  payload.issue.number = on;
  if (on !== 1) {
    payload.issue.pull_request = { url: `${h.github.apiUrl}/repos/${OWNER}/${REPO}/pulls/${on}` };
  }
  payload.comment.id = id;
  payload.comment.body = body;
  payload.sender.login = sender;
  payload.sender.type = type;
  const posted = await app.deliver("issue_comment", payload);
  expect(await app.handled(posted.deliveryId)).toBe("ok");
  return id;
}

/** Stamina's comments on issue 1 (or pull request `on`) but the tracking comment. */
const answers = (on = 1) =>
  h.github
    .issueComments(OWNER, REPO, on)
    .filter((c) => c.user === "stamina[bot]")
    .map((c) => c.body)
    .filter((body) => body !== "tracking" && !body.startsWith("<!-- stamina:tracking -->"));

const reactions = (commentId: number) => h.github.commentReactions(OWNER, REPO, commentId);

/** The queued rollback, claimed and carried out by the real executor. */
async function carryOut(): Promise<Run> {
  const job = await h.claim();
  expect(job.kind).toBe("rollback");
  return h.execute(job);
}

/** A commit by someone else on the branch, pushed straight to the repository. */
function humanCommit(branch: string): string {
  const work = mkdtempSync(join(tmpdir(), "human-"));
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: work,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "Hu Man",
    GIT_AUTHOR_EMAIL: "hu@example.com",
    GIT_COMMITTER_NAME: "Hu Man",
    GIT_COMMITTER_EMAIL: "hu@example.com",
  };
  const run = (...args: string[]) =>
    execFileSync("git", args, { cwd: work, env, encoding: "utf8" }).trim();
  try {
    run("clone", "--quiet", "--branch", branch, h.bare, ".");
    writeFileSync(join(work, "human.txt"), "mine\n");
    run("add", "human.txt");
    run("commit", "--quiet", "-m", "Add my notes");
    run("push", "--quiet", "origin", `HEAD:refs/heads/${branch}`);
    return run("rev-parse", "HEAD");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe("/stamina rollback", () => {
  it("alone goes back to the last green checkpoint with a new commit on top, recorded in the run's audit log", async () => {
    const { run, shas } = await runWithCheckpoints();
    const asked = await comment("/stamina rollback");
    expect(reactions(asked)).toEqual(["+1"]);

    const job = await carryOut();
    expect(job).toMatchObject({ state: "succeeded" });
    const branch = run.branch!;
    const tip = git("rev-parse", branch);
    // A new commit with checkpoint 2's files, whose parent is where the branch was: no force-push.
    expect(tree(tip)).toBe(tree(shas[1]!));
    expect(git("rev-parse", `${tip}^`)).toBe(shas[2]);
    expect(git("show", `${tip}:a.txt`)).toBe("two");
    expect(git("show", `${tip}:b.txt`)).toBe("extra");

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
    const message = git("log", "-1", "--format=%B", tip);
    expect(message).toContain(`Stamina-Audit: ${String(committed?.data.auditHead)}`);
    expect(message).toContain("Co-authored-by: maintainer");
    expect(git("log", "-1", "--format=%an", tip)).toBe("stamina[bot]");
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
    await comment(`/stamina rollback ${shas[0]!.slice(0, 9)}`);
    expect(await carryOut()).toMatchObject({ state: "succeeded" });

    const tip = git("rev-parse", branch);
    expect(tree(tip)).toBe(tree(shas[0]!));
    expect(git("rev-parse", `${tip}^`)).toBe(theirs);
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
    await comment("/stamina rollback 1");
    expect(await carryOut()).toMatchObject({ state: "succeeded" });
    expect(tree(git("rev-parse", run.branch!))).toBe(tree(shas[0]!));
  }, 60_000);

  it("on the run's pull request rolls its branch back and answers there", async () => {
    const { run, shas } = await runWithCheckpoints();
    expect(run.pullNumber).toBe(101);
    const asked = await comment("/stamina rollback 1", "maintainer", "User", 101);
    expect(reactions(asked)).toEqual(["+1"]);
    expect(await carryOut()).toMatchObject({ state: "succeeded" });
    expect(tree(git("rev-parse", run.branch!))).toBe(tree(shas[0]!));
    expect(answers(101).at(-1)).toContain("back to checkpoint 1");
    const status = await comment("/stamina status", "maintainer", "User", 101);
    expect(reactions(status)).toEqual(["+1"]);
    const said = answers(101).at(-1) ?? "";
    expect(said).toContain("Stamina's status on issue #1");
    expect(said).toContain(`4. \`${git("rev-parse", run.branch!).slice(0, 7)}\` rollback`);
  }, 60_000);

  it("is refused in words: no branch yet, an unknown checkpoint (listing the known ones), an active run", async () => {
    const before = await comment("/stamina rollback");
    expect(reactions(before)).toEqual(["confused"]);
    expect(answers().at(-1)).toContain("nothing to roll back");

    const { shas } = await runWithCheckpoints();
    const unknown = await comment("/stamina rollback 9");
    expect(reactions(unknown)).toEqual(["confused"]);
    const listed = answers().at(-1) ?? "";
    expect(listed).toContain("There is no checkpoint 9");
    expect(listed).toContain(`1. \`${shas[0]!.slice(0, 7)}\` checkpoint`);
    expect(listed).toContain(`2. \`${shas[1]!.slice(0, 7)}\` ✅ verification passed`);
    expect(listed).toContain(`3. \`${shas[2]!.slice(0, 7)}\` end of the run`);
    const notOurs = await comment("/stamina rollback deadbeef");
    expect(reactions(notOurs)).toEqual(["confused"]);
    expect(answers().at(-1)).toContain("`deadbeef` is not one of the checkpoints");

    await h.queue();
    const busy = await comment("/stamina rollback");
    expect(reactions(busy)).toEqual(["confused"]);
    expect(answers().at(-1)).toContain("Stop it first with `/stamina stop`");
    // Nothing was queued by any of them: the only queued run is the new one.
    const kinds = (await h.store.runs.list()).map((r) => r.kind);
    expect(kinds).toEqual(["issue", "issue"]);
  }, 60_000);

  it("from a reader or a bot is ignored: no answer, no reaction, nothing queued", async () => {
    await runWithCheckpoints();
    const before = answers().length;
    const reader = await comment("/stamina rollback 1", "reader");
    const bot = await comment("/stamina rollback 1", "ci[bot]", "Bot");
    expect(reactions(reader)).toEqual([]);
    expect(reactions(bot)).toEqual([]);
    expect(answers()).toHaveLength(before);
    expect((await h.store.runs.list()).map((r) => r.kind)).toEqual(["issue"]);
  }, 60_000);
});

describe("/stamina status", () => {
  it("on an issue with no run says so", async () => {
    const asked = await comment("/stamina status");
    expect(reactions(asked)).toEqual(["+1"]);
    expect(answers()).toEqual([
      "@maintainer Stamina has no run on this issue. A writer starts one with Stamina's label or `/stamina run`.",
    ]);
  });

  it("answers with one comment: state, phase, budget spent of its total, the link and the checkpoints", async () => {
    const { run, shas } = await runWithCheckpoints();
    const before = answers().length; // the run's own (its request for more budget)
    const asked = await comment("/stamina status");
    expect(reactions(asked)).toEqual(["+1"]);
    const said = answers().slice(before);
    expect(said).toHaveLength(1);
    const status = said[0]!;
    expect(status).toContain(`**State:** out of budget (${run.outcome})`);
    expect(status).toMatch(/\*\*Phase:\*\* \w/);
    expect(status).toMatch(/\*\*Budget spent:\*\* 6 of 6 steps, [\d,]+ of [\d,]+ tokens, \$/);
    expect(status).toContain(`**Run:** ${run.pullUrl} on branch \`${run.branch}\``);
    expect(status).toContain(`2. \`${shas[1]!.slice(0, 7)}\` ✅ verification passed`);
    expect(status).toContain(`3. \`${shas[2]!.slice(0, 7)}\` end of the run`);
  }, 60_000);

  it("from a reader is ignored", async () => {
    const asked = await comment("/stamina status", "reader");
    expect(reactions(asked)).toEqual([]);
    expect(answers()).toEqual([]);
  });
});
