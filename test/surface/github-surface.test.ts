// What maintainers see of a run on GitHub, end to end against the fake GitHub
// and the scripted model: the draft pull request opened at the first push,
// one tracking comment edited as the run goes, the "Stamina" check run and
// the state labels, ready for review or a draft that says why, the
// repository's template, and the whole audit log in check runs.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { reassembleJsonl } from "../../src/audit/parts.ts";
import { parseJsonl, toJsonl, verifyChain } from "../../src/audit/verify.ts";
import { auditCommand } from "../../src/cli/audit.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";
import type { Timers } from "../../src/surface/throttle.ts";
import type { FakeGitHub } from "../support/fake-github/index.ts";
import {
  editFile,
  reply,
  text,
  toolUse,
  type ScriptedTurn,
} from "../support/model-server/index.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";

/** Credential-shaped text the model writes into its plan and its summary. */
const LEAK = [`sk-ant-api03-${"k".repeat(40)}`, `ghs_${"T".repeat(36)}`];

const FILES = {
  "a.txt": "one\n",
  "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
};

let h: Harness;
afterEach(() => h.close());

const edit = (to: string) => reply(editFile("a.txt", "one", to));

async function run(script: ScriptedTurn[], config: unknown = { test: "sh check.sh" }) {
  await h.model(script);
  await h.queue(config);
  return h.execute(await h.claim(), {}, { progressIntervalMs: 0 });
}

const checks = (gh: FakeGitHub, name: string) =>
  gh.checkRuns(OWNER, REPO).filter((c) => c.name === name);

const auditChecks = (gh: FakeGitHub) =>
  gh
    .checkRuns(OWNER, REPO)
    .filter((c) => c.name.startsWith("Stamina audit log"))
    .sort((a, b) => part(a.name) - part(b.name));

/**
 * What the fake refused, but the app's first JWT requests (a token, the installation's
 * permissions): the app corrects its clock from their 401.
 */
function refused(gh: FakeGitHub): string[] {
  return gh.refusals
    .filter((r) => !(r.authorization === "jwt" && r.status === 401))
    .map((r) => `${r.method} ${r.path} ${r.status}`);
}

function part(name: string): number {
  return Number(/\((\d+)\)$/.exec(name)?.[1] ?? 1);
}

describe("a run on GitHub", () => {
  it("opens a draft at the first push, shows its progress in one comment and a check, and ends ready for review", async () => {
    h = await startHarness(FILES);
    const seen: {
      pulls: number;
      draft?: boolean;
      comment?: string;
      check?: string;
      labels?: string[];
    } = { pulls: 0 };
    const finished = await run([
      reply(toolUse("update_plan", { plan: ["Make a.txt say two", `Check it ${LEAK[0]}`] })),
      edit("two"),
      reply(toolUse("checkpoint", { message: "Make a.txt say two\n\nThe issue asks for it." })),
      () => {
        // The run is still going: its draft is open, its check in progress.
        const pulls = h.github.pulls(OWNER, REPO);
        seen.pulls = pulls.length;
        seen.draft = pulls[0]?.draft;
        seen.comment = h.comment();
        seen.check = checks(h.github, "Stamina")[0]?.status;
        seen.labels = h.github.labels(OWNER, REPO, 1);
        return reply(text("Changed a.txt."));
      },
      reply(text(`a.txt says two now, as the issue asks. ${LEAK[1]}`)),
    ]);
    expect(finished.state).toBe("succeeded");
    expect(seen).toMatchObject({
      pulls: 1,
      draft: true,
      check: "in_progress",
      labels: ["stamina:working"],
    });
    expect(seen.comment).toContain("Make a.txt say two");
    expect(seen.comment).toMatch(/Open a draft pull request: .*\/pull\/101/);

    const pulls = h.github.pulls(OWNER, REPO);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ number: 101, draft: false });
    const body = pulls[0]!.body;
    for (const part of [
      "Fixes #1",
      "## Summary",
      "a.txt says two now",
      "## What changed",
      "Make a.txt say two",
      "`a.txt`",
      "✅ `sh check.sh` passed (test)",
      "**Budget:**",
      "**Chain head**",
      "<summary>Timeline</summary>",
    ]) {
      expect(body).toContain(part);
    }
    // Ready for review through GraphQL, as GitHub allows no other way.
    expect(
      h.github.requests.some(
        (r) =>
          r.path === "/api/graphql" &&
          JSON.stringify(r.body).includes("markPullRequestReadyForReview"),
      ),
    ).toBe(true);

    // One tracking comment, edited as the run went.
    const comments = h.github.issueComments(OWNER, REPO, 1);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.updatedCount).toBeGreaterThanOrEqual(4);
    expect(comments[0]!.body).toContain("verification passed");

    // The Stamina check: on the head, completed green; older heads' checks superseded.
    const head = execFileSync("git", ["--git-dir", h.bare, "rev-parse", "stamina/1-make-it-two"], {
      encoding: "utf8",
    }).trim();
    const stamina = checks(h.github, "Stamina");
    const onHead = stamina.filter((c) => c.headSha === head);
    expect(onHead).toHaveLength(1);
    expect(onHead[0]).toMatchObject({ status: "completed", conclusion: "success" });
    expect(onHead[0]!.updatedCount).toBeGreaterThanOrEqual(1);
    for (const c of stamina) expect(c.status).toBe("completed");

    // The state labels, created in the repository, and the outcome's on the issue.
    expect(h.github.labels(OWNER, REPO, 1)).toEqual(["stamina:done"]);
    expect(h.github.labels(OWNER, REPO)).toEqual(
      expect.arrayContaining(["stamina:working", "stamina:done"]),
    );

    // The audit log attached to the head, every event of it.
    const parts = auditChecks(h.github);
    expect(parts.length).toBeGreaterThanOrEqual(1);
    for (const p of parts) expect(p).toMatchObject({ headSha: head, conclusion: "neutral" });
    const events = await h.store.audit.events(finished.id);
    expect(reassembleJsonl(parts.map((p) => p.text ?? ""))).toBe(toJsonl(events));
    expect(refused(h.github)).toEqual([]);

    // What the model wrote reached GitHub with its secrets redacted, everywhere.
    const shown = [
      body,
      comments[0]!.body,
      ...h.github.checkRuns(OWNER, REPO).flatMap((c) => [c.summary, c.text, c.title]),
      JSON.stringify(h.github.requests.map((r) => r.body)),
    ].join("\n");
    expect(shown).toContain("[REDACTED]");
    for (const secret of LEAK) expect(shown).not.toContain(secret);
  });

  it("edits the comment at most once per interval on an injected clock, and always writes the last state", async () => {
    h = await startHarness(FILES);
    let now = 0;
    const due = new Map<number, { at: number; fn: () => void }>();
    let ids = 0;
    const timers: Timers = {
      now: () => now,
      setTimeout: (fn, ms) => {
        const id = ++ids;
        due.set(id, { at: now + ms, fn });
        return id;
      },
      clearTimeout: (id) => void due.delete(id as number),
    };
    const edits = () => h.github.issueComments(OWNER, REPO, 1)[0]!.updatedCount;
    const seen: number[] = [];
    let shown = "";
    await h.model([
      reply(toolUse("update_plan", { plan: ["Make a.txt say two"] })),
      reply(toolUse("bash", { command: "true" })),
      () => {
        seen.push(edits()); // the first progress only: the rest waits for the interval
        now += 5_000;
        for (const [id, d] of due) {
          if (d.at > now) continue;
          due.delete(id);
          d.fn();
        }
        return reply(toolUse("bash", { command: "true" }));
      },
      () => {
        seen.push(edits());
        shown = h.comment();
        return edit("two");
      },
      reply(text("Done.")),
      reply(text("a.txt says two.")),
    ]);
    await h.queue({ test: "sh check.sh" });
    const finished = await h.execute(await h.claim(), {}, { timers });
    expect(finished.state).toBe("succeeded");
    expect(seen).toEqual([1, 2]);
    expect(shown).toContain("Make a.txt say two");
    expect(shown).toContain("(2 of 50 steps)"); // the latest state when the interval was up
    // The outcome, written at once whatever was pending: one more edit.
    expect(edits()).toBe(3);
    expect(h.comment()).toContain("verification passed");
  });

  it("leaves a draft that says why when verification fails, with a failing check and the failed label", async () => {
    h = await startHarness(FILES);
    const waiting = await run(
      [edit("three"), reply(text("Changed it.")), reply(text("Still three."))],
      { test: "sh check.sh", budget: { steps: 2 } },
    );
    // The spent budget asks for an extension first; denied, the run ends out of budget.
    expect(waiting.state).toBe("awaiting_approval");
    const finished = await h.decide(waiting, false, { progressIntervalMs: 0 });
    expect(finished.state).toBe("out_of_budget");
    const [pull] = h.github.pulls(OWNER, REPO);
    expect(pull?.draft).toBe(true);
    expect(pull?.body).toContain("**This pull request is a draft** because");
    expect(pull?.body).toContain("❌ `sh check.sh` exited with code 3");
    const [stamina] = checks(h.github, "Stamina").filter(
      (c) => c.status !== "completed" || c.conclusion !== "neutral" || c.title !== "Superseded",
    );
    expect(stamina).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(h.github.labels(OWNER, REPO, 1)).toEqual(["stamina:failed"]);
    expect(h.comment()).toContain("as a draft");
  });

  it("leaves the early draft saying the run failed, with the failed label and a failing check", async () => {
    h = await startHarness(FILES);
    const finished = await run([
      edit("two"),
      reply(toolUse("checkpoint", { message: "Make a.txt say two" })),
      { ...reply(text("I will not go on.")), stop_reason: "refusal" },
    ]);
    expect(finished.state).toBe("failed");
    const [pull] = h.github.pulls(OWNER, REPO);
    expect(pull?.draft).toBe(true);
    expect(pull?.body).toContain("❌ Stamina stopped without finishing: the model declined");
    expect(pull?.body).not.toContain("still working");
    const [stamina] = checks(h.github, "Stamina");
    expect(stamina).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(h.github.labels(OWNER, REPO, 1)).toEqual(["stamina:failed"]);
    expect(h.comment()).toContain(`The work so far is in the draft`);
    // The audit log is attached to a failed run's head too, ending with its last event.
    const back = parseJsonl(reassembleJsonl(auditChecks(h.github).map((p) => p.text ?? "")));
    const events = await h.store.audit.events(finished.id);
    expect(back.map((e) => e.hash)).toEqual(events.map((e) => e.hash));
  });

  it("fills the repository's pull request template, keeping its sections", async () => {
    h = await startHarness({
      ...FILES,
      ".github/PULL_REQUEST_TEMPLATE.md": [
        "## Description",
        "<!-- What does this change? -->",
        "",
        "## How was it tested?",
        "",
        "## Checklist",
        "- [ ] I read CONTRIBUTING.md",
        "",
      ].join("\n"),
    });
    await run([edit("two"), reply(text("Done.")), reply(text("a.txt says two."))]);
    const body = h.github.pulls(OWNER, REPO)[0]!.body;
    const at = (s: string) => body.indexOf(s);
    expect(at("Fixes #1")).toBe(0);
    expect(at("## Description")).toBeLessThan(at("a.txt says two."));
    expect(at("a.txt says two.")).toBeLessThan(at("## How was it tested?"));
    expect(at("## How was it tested?")).toBeLessThan(at("✅ `sh check.sh` passed"));
    expect(at("✅ `sh check.sh` passed")).toBeLessThan(at("## Checklist"));
    expect(body).toContain("- [ ] I read CONTRIBUTING.md");
    expect(body).toContain("## What changed");
    expect(body).not.toContain("## Summary");
  });

  it("refuses a run on a pull request from a fork before cloning anything, and says why", async () => {
    h = await startHarness(FILES);
    await h.model([]);
    const pullNumber = h.github.openForkPull(OWNER, REPO, {
      fork: "someone/demo",
      branch: "patch-1",
      title: "A change from a fork",
    });
    const queued = await h.store.runs.enqueueFollowUp({
      installationId: 1,
      owner: OWNER,
      repo: REPO,
      issueNumber: pullNumber,
      pullNumber,
      issueTitle: "A change from a fork",
      issueBody: "",
      requestedBy: "maintainer",
      deliveryId: "review-1",
      config: parseRepoConfig({}),
    });
    expect(queued.status).toBe("started");
    const finished = await h.execute(await h.claim());
    expect(finished.state).toBe("failed");
    expect(finished.outcome).toContain("the fork `someone/demo`");
    const types = (await h.store.audit.events(finished.id)).map((e) => e.type);
    expect(types).not.toContain("git.clone");
    const [comment] = h.github.issueComments(OWNER, REPO, pullNumber);
    expect(comment?.body).toContain("Stamina can't work on this pull request");
    expect(h.github.labels(OWNER, REPO, pullNumber)).toEqual(["stamina:failed"]);
  });

  it("spreads an audit log of over 500 KB over check runs, every event there, verifying with the commit's trailer", async () => {
    h = await startHarness(FILES, { fileStore: true });
    const chatter = (i: number) =>
      reply(
        text(`Step ${i}: ${"thinking about a.txt and what the issue asks. ".repeat(75)}`),
        toolUse("bash", { command: `echo step ${i}` }),
      );
    const finished = await run(
      [
        ...Array.from({ length: 150 }, (_, i) => chatter(i + 1)),
        edit("two"),
        reply(text("Done.")),
        reply(text("a.txt says two.")),
      ],
      {
        test: "sh check.sh",
        budget: { steps: 160, tokens: 100_000_000, dollars: 1_000 },
        // 150 steps that change nothing are what the watchdog pauses; here they only fill the log.
        watchdog: { enabled: false },
      },
    );
    expect(finished.state).toBe("succeeded");
    const events = await h.store.audit.events(finished.id);
    const jsonl = toJsonl(events);
    expect(jsonl.length).toBeGreaterThan(500_000);

    const parts = auditChecks(h.github);
    expect(parts.length).toBeGreaterThan(8);
    expect(parts.map((p) => p.name).slice(0, 2)).toEqual([
      "Stamina audit log",
      "Stamina audit log (2)",
    ]);
    for (const p of parts) {
      expect([...(p.summary ?? "")].length).toBeLessThanOrEqual(65_535);
      expect([...(p.text ?? "")].length).toBeLessThanOrEqual(65_535);
    }
    const back = parseJsonl(reassembleJsonl(parts.map((p) => p.text ?? "")));
    expect(back.map((e) => e.hash)).toEqual(events.map((e) => e.hash));
    expect(back.at(-1)?.type).toBe("run.finished");
    // The pull request holds the timeline cut to fit, and says what was cut.
    const body = h.github.pulls(OWNER, REPO)[0]!.body;
    expect(body.length).toBeLessThanOrEqual(60_000);
    expect(body).toMatch(
      /… \d+ events cut \(seq \d+–\d+\); the full log is in the "Stamina audit log" check runs/,
    );
    expect(verifyChain(back)).toMatchObject({ ok: true });

    // `stamina audit export` writes the same log; `verify` accepts it and reaches the trailer.
    const file = join(h.dir, "audit.jsonl");
    const io = () => {
      const chunks: string[] = [];
      return { write: (s: string) => void chunks.push(s), text: () => chunks.join("") };
    };
    const [out, err] = [io(), io()];
    const env = { STAMINA_DATA_DIR: join(h.dir, "data") };
    expect(await auditCommand(["export", finished.id, file], { out, err, env })).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(reassembleJsonl(parts.map((p) => p.text ?? "")));
    const message = execFileSync(
      "git",
      ["--git-dir", h.bare, "log", "-1", "--format=%B", "stamina/1-make-it-two"],
      { encoding: "utf8" },
    );
    const trailer = /Stamina-Audit: ([0-9a-f]{64})/.exec(message)![1]!;
    expect(await auditCommand(["verify", file, "--head", trailer], { out, err, env })).toBe(0);
    expect(out.text()).toMatch(/^ok: \d+ events/);
    expect(refused(h.github)).toEqual([]);
  }, 120_000);
});
