// Stamina's commits made by GitHub through the Git Data API, end to end against the fake
// GitHub: signed and verified, the tree the one committed in the worktree (modes, a symlink, a
// binary file), a ruleset that requires signatures honoured, a branch moved between the head's
// read and the ref update built on, and `commits.signed: false` pushing with git.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REVIEW_QUIET } from "../../src/app/handlers/review.ts";
import type { Run } from "../../src/store/types.ts";
import { appBesideHarness, type AppBesideHarness } from "../support/app-beside-harness.ts";
import {
  reply,
  text,
  toolUse,
  editFile,
  type ScriptedTurn,
} from "../support/model-server/index.ts";
import { pushPersonCommit } from "../support/person-commit.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";
import {
  pullRequestPayload,
  reviewCommentPayload,
  type PullRequestEventPayload,
} from "../support/webhooks.ts";

const FILES = {
  "a.txt": "one\n",
  "run.sh": "echo run\n",
  "gone.txt": "to delete\n",
  "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
};
const CONFIG = { test: "sh check.sh" };
const BRANCH = "stamina/1-make-it-two";
const PULL = 101;
/** The change the model makes: text, a symlink, an executable bit, a binary file, a deletion. */
const CHANGE =
  "printf 'two\\n' > a.txt && ln -s a.txt link && chmod +x run.sh && printf '\\000\\001\\377' > bin.dat && rm gone.txt";
const CO_AUTHOR = "Co-authored-by: maintainer <4242+maintainer@users.noreply.github.com>";

let h: Harness;
let app: AppBesideHarness | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await h.close();
});

async function issueRun(config: unknown, setUp: (h: Harness) => void = () => undefined) {
  h = await startHarness(FILES);
  setUp(h);
  await h.model([
    reply(toolUse("bash", { command: CHANGE })),
    reply(text("a.txt says two.")),
    reply(text("a.txt says two now, as the issue asks.")),
  ]);
  await h.queue(config);
  return h.execute(await h.claim(), {}, { progressIntervalMs: 0 });
}

/** The tree git makes of the base with CHANGE applied: what the worktree committed. */
function expectedTree(): string {
  const dir = mkdtempSync(join(tmpdir(), "signed-expected-"));
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, GIT_CONFIG_NOSYSTEM: "1" };
  const sh = (command: string) =>
    execFileSync("sh", ["-c", command], { cwd: join(dir, "clone"), env, encoding: "utf8" }).trim();
  try {
    execFileSync("git", ["clone", "--quiet", h.bare, "clone"], { cwd: dir, env });
    sh(CHANGE);
    sh("git add --all");
    return sh("git write-tree");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const requestsTo = (method: string, tail: RegExp) =>
  h.github.requests.filter((r) => r.method === method && tail.test(r.path));

describe("Stamina's commits", () => {
  it("are made by GitHub, verified, with the tree committed: modes, a symlink, binary bytes", async () => {
    const finished = await issueRun(CONFIG, (harness) =>
      harness.github.requireSignatures(OWNER, REPO),
    );
    expect(finished.state).toBe("succeeded");
    const head = h.git("rev-parse", BRANCH);
    const commits = h.git("rev-list", `main..${head}`).split("\n");
    expect(commits.length).toBeGreaterThanOrEqual(1);
    for (const commit of commits) expect(h.github.isVerified(commit)).toBe(true);
    expect(h.git("cat-file", "commit", head)).toMatch(/^gpgsig -----BEGIN PGP SIGNATURE-----/m);
    // Author and committer left to GitHub; the person who asked credited in the message.
    expect(h.git("log", "-1", "--format=%an|%cn", head)).toBe("stamina[bot]|GitHub");
    expect(h.git("log", "-1", "--format=%B", head)).toContain(CO_AUTHOR);
    expect(h.git("rev-parse", `${head}^{tree}`)).toBe(expectedTree());
    const tree = h.git("ls-tree", head);
    expect(tree).toMatch(/^120000 blob [0-9a-f]{40}\tlink$/m);
    expect(tree).toMatch(/^100755 blob [0-9a-f]{40}\trun\.sh$/m);
    expect(tree).not.toContain("gone.txt");
    expect(h.git("cat-file", "blob", `${head}:link`)).toBe("a.txt");
    const bytes = execFileSync("git", ["--git-dir", h.bare, "cat-file", "blob", `${head}:bin.dat`]);
    expect([...bytes]).toEqual([0, 1, 255]);
    // Text went inline in the tree; only the binary file took a blob request of its own.
    expect(requestsTo("POST", /\/git\/blobs$/)).toHaveLength(1);
    const trees = JSON.stringify(requestsTo("POST", /\/git\/trees$/).map((r) => r.body));
    expect(trees).toContain('"content":"two\\n"');
    expect(requestsTo("POST", /\/git-receive-pack$/)).toHaveLength(0);
    // GitHub's commits were written here from its answers (each hashing to its id), not fetched.
    const wanted = h.github.requests.flatMap((r) => r.uploadPack?.wants ?? []);
    for (const commit of commits) expect(wanted).not.toContain(commit);

    // The run's head, its `git.commit` and `git.push` are GitHub's commit.
    expect(finished.headSha).toBe(head);
    const events = await h.store.audit.events(finished.id);
    const pushes = events.filter((e) => e.type === "git.push");
    expect(pushes.at(-1)?.data).toMatchObject({ branch: BRANCH, sha: head, signed: true });
    const commitEvents = events.filter((e) => e.type === "git.commit");
    // Each keeps its commit's patch, for the run page and whoever reads the exported log.
    expect(String(commitEvents.at(-1)?.data.patch)).toMatch(/^\+two$/m);
    const recorded = commitEvents.map((e) => e.data.sha);
    expect(recorded).toContain(head);
    for (const sha of recorded) expect(h.github.isVerified(String(sha))).toBe(true);
  }, 120_000);

  it("are pushed with git when `commits.signed` is false: unsigned, Stamina's own", async () => {
    const finished = await issueRun({ ...CONFIG, commits: { signed: false } });
    expect(finished.state).toBe("succeeded");
    const head = h.git("rev-parse", BRANCH);
    expect(h.github.isVerified(head)).toBe(false);
    expect(h.git("log", "-1", "--format=%an|%cn", head)).toBe("stamina[bot]|stamina[bot]");
    expect(h.git("log", "-1", "--format=%B", head)).toContain(CO_AUTHOR);
    expect(h.git("rev-parse", `${head}^{tree}`)).toBe(expectedTree());
    expect(requestsTo("POST", /\/git\/commits$/)).toHaveLength(0);
    expect(requestsTo("POST", /\/git-receive-pack$/).length).toBeGreaterThanOrEqual(1);
    const events = await h.store.audit.events(finished.id);
    expect(events.filter((e) => e.type === "git.push").at(-1)?.data).toEqual({
      branch: BRANCH,
      sha: head,
    });
  }, 120_000);

  it("pushed with git are refused by a ruleset requiring signatures, and the run says what to do", async () => {
    const finished = await issueRun({ ...CONFIG, commits: { signed: false } }, (harness) =>
      harness.github.requireSignatures(OWNER, REPO),
    );
    expect(finished.state).toBe("failed");
    expect(finished.outcome).toContain("a ruleset of this repository requires signed commits");
    expect(finished.outcome).toContain("`commits.signed: false`");
    expect(h.git("branch", "--list", BRANCH)).toBe("");
    const events = await h.store.audit.events(finished.id);
    expect(events.some((e) => e.type === "git.push_refused")).toBe(true);
  }, 120_000);
});

/** A review of one comment on Stamina's pull request, delivered to the app. */
async function review(user: string, comment: { path: string; line: number; body: string }) {
  const on = { owner: OWNER, repo: REPO, pull: PULL, title: "Make it two" };
  const submitted = h.github.submitReview(OWNER, REPO, PULL, { user, comments: [comment] });
  const when = new Date(h.now()).toISOString();
  const payload = pullRequestPayload<
    PullRequestEventPayload & {
      review: { state: string; body: string | null; submitted_at: string };
    }
  >("pull_request_review", "submitted", { ...on, sender: user });
  Object.assign(payload.review, { state: "changes_requested", body: null, submitted_at: when });
  await app!.send("pull_request_review", payload);
  for (const thread of submitted.threads) {
    const payload = reviewCommentPayload({ ...on, author: user, commentId: thread.commentId });
    Object.assign(payload.comment, { created_at: when });
    await app!.send("pull_request_review_comment", payload);
  }
}

async function round(script: ScriptedTurn[]): Promise<Run> {
  await h.model(script);
  h.tick(REVIEW_QUIET.quietMs);
  return h.execute(await h.claim(), {}, { progressIntervalMs: 0 });
}

describe("a branch moved while GitHub made Stamina's commit", () => {
  it("refuses the ref update, and Stamina builds on the new head, never over it", async () => {
    const first = await issueRun(CONFIG);
    expect(first.state).toBe("succeeded");
    app = await appBesideHarness(h, { people: { reviewer: "write" } });
    await review("reviewer", { path: "a.txt", line: 1, body: "Say it with a capital: Two." });
    let human = "";
    // The reviewer pushes after Stamina read the head, as its ref update arrives.
    h.github.beforeNext("PATCH", /\/git\/refs\/heads(?:\/|%2F)/i, async () => {
      human = pushPersonCommit(h.bare, {
        branch: BRANCH,
        files: { "human.txt": "mine\n" },
        message: "Mine",
        author: { name: "Reviewer", email: "r@example.com" },
      });
      await Promise.resolve();
    });
    const finished = await round([
      reply(
        editFile("a.txt", "two", "Two"),
        toolUse("answer_thread", { thread: 1, outcome: "changed", reply: "Capitalised." }),
      ),
      reply(text("Done.")),
      reply(text("Answered the review.")),
    ]);
    expect(finished.state).toBe("succeeded");
    const refused = h.github.refusals.filter((r) => r.method === "PATCH");
    expect(refused.map((r) => r.status)).toEqual([422]);
    const head = h.git("rev-parse", BRANCH);
    expect(human).not.toBe("");
    expect(h.git("merge-base", "--is-ancestor", human, head)).toBe("");
    expect(h.git("show", `${head}:human.txt`)).toBe("mine");
    expect(h.git("show", `${head}:a.txt`)).toBe("Two");
    expect(h.github.isVerified(head)).toBe(true);
    const events = await h.store.audit.events(finished.id);
    expect(events.find((e) => e.type === "git.rebase")?.data).toMatchObject({ onto: human });
    expect(events.filter((e) => e.type === "git.push").at(-1)?.data).toMatchObject({ sha: head });
  }, 120_000);
});
