// Durable runs in process, against the fake GitHub and the scripted model:
// a run handed back after a step resumes at the next one, a run whose worker
// died mid-step runs that step again (and says so), a stopped run pushes its
// work, a failure that is not the agent's is retried later, and a run that
// outlives its installation token still pushes.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyChain } from "../../src/audit/verify.ts";
import { CancelRequested, ShutdownRequested } from "../../src/runs/interruptions.ts";
import { LeaseLost } from "../../src/store/leases.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";
import { trackingNeedle } from "../../src/surface/report.ts";
import type { Run } from "../../src/store/types.ts";
import {
  editFile,
  reply,
  text,
  toolUse,
  type ScriptedReply,
} from "../support/model-server/index.ts";
import {
  byStep,
  LEASE_MS,
  OWNER,
  REPO,
  startHarness,
  stepOf,
  type Harness,
} from "../support/run-harness.ts";

const FILES = { "a.txt": "one\n", "check.sh": "grep -q two a.txt\n" };
const CONFIG = { test: "sh check.sh" };

const STEPS: ScriptedReply[] = [
  reply(editFile("a.txt", "one", "two")),
  reply(toolUse("bash", { command: "printf 'notes\\n' > notes.txt" })),
  reply(toolUse("bash", { command: "cat a.txt notes.txt" })),
  reply(text("Made it two and left a note.")),
  // The harness verified the change and asks for a review; the summary ends the session.
  reply(text("a.txt says two, and notes.txt says why.")),
];

let h: Harness;
beforeEach(async () => {
  h = await startHarness(FILES);
});
afterEach(() => h.close());

/** Steps answered from STEPS, with `at` replacing one step's answer (a side effect first). */
function script(at?: { step: number; answer: () => ScriptedReply }) {
  return byStep(STEPS.map((s, i) => (at && i + 1 === at.step ? () => at.answer() : s)));
}

async function uninterruptedTree(): Promise<string> {
  await h.model(script());
  const run = await h.execute(await h.claim());
  expect(run.state).toBe("succeeded");
  return tree(run);
}

function tree(run: Run): string {
  return execFileSync("git", ["--git-dir", h.bare, "rev-parse", `${run.branch}^{tree}`], {
    encoding: "utf8",
  }).trim();
}

async function auditOf(run: Run) {
  const events = await h.store.audit.events(run.id);
  expect(verifyChain(events)).toMatchObject({ ok: true });
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  return events;
}

describe("a run handed back after a step", () => {
  it("resumes at the next step on another worker, to the same branch as an uninterrupted run", async () => {
    await h.queue(CONFIG, 1);
    const expected = await uninterruptedTree();

    await h.queue(CONFIG, 2);
    const drain = new AbortController();
    const server = await h.model(
      script({ step: 2, answer: () => (drain.abort(new ShutdownRequested()), STEPS[1]!) }),
    );
    const first = await h.execute(await h.claim("worker-1"), { drain: drain.signal });
    expect(first).toMatchObject({ state: "queued", leaseOwner: null, stepsUsed: 2 });
    expect((await h.store.checkpoints.load(first.id))?.step).toBe(2);

    const resumed = await h.execute(await h.claim("worker-2"));
    expect(resumed.state).toBe("succeeded");
    expect(tree(resumed)).toBe(expected);
    // Step 3 was asked with the whole transcript, step 2's tool result included; no step twice.
    const steps = server.requests.map(stepOf);
    expect(steps).toEqual([1, 2, 3, 4, 5]);
    expect(JSON.stringify(server.requests[2]!.body.messages)).toContain("tool_result");
    const types = (await auditOf(resumed)).map((e) => e.type);
    expect(types).toContain("run.released");
    expect(types).toContain("run.resumed");
    expect(types).not.toContain("step.retried");
  });

  it("says on its tracking comment that it is queued to resume, then that it is working again", async () => {
    await h.queue(CONFIG, 1);
    const drain = new AbortController();
    let whileResumed = "";
    await h.model(
      byStep([
        STEPS[0]!,
        () => (drain.abort(new ShutdownRequested()), STEPS[1]!),
        () => ((whileResumed = h.comment()), STEPS[2]!),
        ...STEPS.slice(3),
      ]),
    );
    const released = await h.execute(await h.claim("worker-1"), { drain: drain.signal });
    expect(released.state).toBe("queued");
    expect(h.comment()).toContain(
      `⏳ Stamina was stopped for a restart after 2 of ${released.config.budget.steps} steps; the run is queued and resumes from its last checkpoint on branch \`${released.branch}\`.`,
    );
    expect(h.comment()).not.toContain("Stamina is working");
    expect(h.github.labels(OWNER, REPO, 1)).toContain("stamina:waiting");

    const resumed = await h.execute(await h.claim("worker-2"));
    expect(resumed.state).toBe("succeeded");
    expect(whileResumed).toContain("🛠️ Stamina is working on this issue");
    expect(whileResumed).not.toContain("queued");
  });
});

describe("a run whose worker died in the middle of a step", () => {
  it("runs that step again on the next worker, keeps what the first attempt recorded, and adds step.retried", async () => {
    await h.queue(CONFIG, 1);
    const expected = await uninterruptedTree();

    await h.queue(CONFIG, 2);
    const dying = new AbortController();
    const server = await h.model(
      script({ step: 3, answer: () => (dying.abort(new LeaseLost()), STEPS[2]!) }),
    );
    const dead = await h.execute(await h.claim("worker-1"), { signal: dying.signal });
    expect(dead).toMatchObject({ state: "running", leaseOwner: "worker-1" });
    h.tick(LEASE_MS + 1);

    const resumed = await h.execute(await h.claim("worker-2"));
    expect(resumed).toMatchObject({ state: "succeeded", attempts: 2 });
    expect(tree(resumed)).toBe(expected);
    expect(server.requests.map(stepOf)).toEqual([1, 2, 3, 3, 4, 5]);
    const events = await auditOf(resumed);
    const retried = events.filter((e) => e.type === "step.retried");
    expect(retried).toHaveLength(1);
    expect(retried[0]!.data).toMatchObject({ step: 3, attempt: 2 });
    const step3 = events.filter((e) => e.type === "model.request" && e.data.step === 3);
    expect(step3).toHaveLength(2);
    expect(step3[0]!.seq).toBeLessThan(retried[0]!.seq);
  });
});

describe("a stopped run", () => {
  it("aborts the running command, pushes the work so far, and says who stopped it", async () => {
    const run = await h.queue(CONFIG, 1);
    const controller = new AbortController();
    const marker = mkdtempSync(join(tmpdir(), "stamina-stop-"));
    await h.model(
      byStep([
        STEPS[0]!,
        () => {
          setTimeout(
            () =>
              controller.abort(new CancelRequested("@maintainer", "removed the `stamina` label")),
            300,
          );
          // Would outlast the test by far if the abort did not reach it.
          return reply(toolUse("bash", { command: `touch ${marker}/started; sleep 600` }));
        },
      ]),
    );
    try {
      const stopped = await h.execute(await h.claim(), { signal: controller.signal });
      expect(stopped.state).toBe("cancelled");
      expect(stopped.outcome).toBe("stopped by @maintainer (removed the `stamina` label)");
      expect(h.show(`${stopped.branch}:a.txt`)).toBe("two\n");
      const comment = h.comment();
      expect(comment).toContain("🛑 Stamina stopped: @maintainer removed the `stamina` label.");
      expect(comment).toContain(`branch \`${stopped.branch}\``);
      expect(h.github.pulls(OWNER, REPO)).toHaveLength(0);
      const types = (await auditOf(stopped)).map((e) => e.type);
      expect(types).toContain("run.stopped");
      expect(types.at(-1)).toBe("run.finished");
      expect((await h.store.runs.create({ ...run, deliveryId: "again" })).created).toBe(true);
    } finally {
      rmSync(marker, { recursive: true, force: true });
    }
  });
});

describe("a failure that is not the agent's", () => {
  const overloaded: ScriptedReply = {
    status: 529,
    errorType: "overloaded_error",
    message: "Overloaded",
  };

  it("is retried later from where the run stopped, and said on the issue meanwhile", async () => {
    await h.queue(CONFIG, 1);
    await h.model(byStep([STEPS[0]!, overloaded]));
    const first = await h.execute(await h.claim());
    expect(first).toMatchObject({ state: "queued", retries: 1, stepsUsed: 1 });
    expect(h.comment()).toContain("⏳ Stamina paused: the model was overloaded (529)");
    expect(await h.store.leases.claimNext("worker-2", LEASE_MS)).toBeUndefined();
    h.tick(40_000);
    await h.model(script());
    const resumed = await h.execute(await h.claim("worker-2"));
    expect(resumed.state).toBe("succeeded");
    expect(h.show(`${resumed.branch}:a.txt`)).toBe("two\n");
    expect(h.comment()).toContain("verification passed");
  });

  it("fails with the cause in words once the retries are spent", async () => {
    await h.queue(CONFIG, 1);
    const retry = { limit: 1, baseMs: 1_000, maxMs: 1_000 };
    await h.model(byStep([overloaded]));
    expect((await h.execute(await h.claim(), {}, { retry })).state).toBe("queued");
    h.tick(5_000);
    const failed = await h.execute(await h.claim(), {}, { retry });
    expect(failed.state).toBe("failed");
    expect(failed.outcome).toBe(
      "the model was overloaded (529) while working with the model, and it still failed after 1 retries. This was not a problem with the change; add the label again to start over.",
    );
    expect(h.comment()).toContain(
      "❌ Stamina stopped without a pull request: the model was overloaded",
    );
  });
});

describe("a run longer than its installation token", () => {
  it("asks for a fresh token before it pushes", async () => {
    await h.queue(CONFIG, 1);
    // Two hours pass during step 3 on the clock of the fake GitHub (and the app's token cache).
    await h.model(script({ step: 3, answer: () => (h.tick(2 * 3_600_000), STEPS[2]!) }));
    const before = h.github.issuedTokens().length;
    const run = await h.execute(await h.claim());
    expect(run.state).toBe("succeeded");
    expect(h.show(`${run.branch}:a.txt`)).toBe("two\n");
    // The first token was still fresh for the clone; the push needed a new one.
    expect(h.github.issuedTokens().length).toBeGreaterThan(before);
    // No request with a token was refused (app JWTs may be, once: auth-app corrects its clock).
    expect(h.github.refusals.filter((r) => r.authorization !== "jwt")).toEqual([]);
  });
});

describe("a resumed run whose branch moved after its checkpoint", () => {
  async function drainedAfterStep2(): Promise<Run> {
    await h.queue(CONFIG, 1);
    const drain = new AbortController();
    await h.model(
      script({ step: 2, answer: () => (drain.abort(new ShutdownRequested()), STEPS[1]!) }),
    );
    return h.execute(await h.claim(), { drain: drain.signal });
  }

  /** A commit on the run's branch in the bare repository, as a push would leave it. */
  function pushCommit(run: Run, file: string): string {
    const work = mkdtempSync(join(tmpdir(), "stamina-push-"));
    const git = (...args: string[]) =>
      execFileSync("git", args, {
        cwd: work,
        encoding: "utf8",
        env: { PATH: process.env.PATH, HOME: work, GIT_CONFIG_NOSYSTEM: "1" },
      }).trim();
    try {
      git("clone", "--quiet", h.bare, ".");
      git("switch", "--quiet", "-c", run.branch!, run.baseSha!);
      execFileSync("sh", ["-c", `echo x > ${file}`], { cwd: work });
      git("add", file);
      git("-c", "user.name=x", "-c", "user.email=x@x", "commit", "--quiet", "-m", "x");
      git("push", "--quiet", h.bare, `HEAD:refs/heads/${run.branch}`);
      return git("rev-parse", "HEAD");
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  it("moves the branch back when the commit is one its dead attempt made", async () => {
    const run = await drainedAfterStep2();
    const sha = pushCommit(run, "half-done.txt");
    // What the dead attempt recorded before its push.
    await h.store.audit.append(run.id, [{ type: "git.commit", data: { sha } }]);
    await h.model(script());
    const resumed = await h.execute(await h.claim("worker-2"));
    expect(resumed.state).toBe("succeeded");
    expect(() => h.show(`${resumed.branch}:half-done.txt`)).toThrow();
    const rewind = (await auditOf(resumed)).find((e) => e.type === "git.rewind");
    expect(rewind?.data).toMatchObject({ from: sha, to: run.baseSha });
  });

  it("refuses to overwrite a commit someone else pushed", async () => {
    const run = await drainedAfterStep2();
    pushCommit(run, "theirs.txt");
    await h.model(script());
    const failed = await h.execute(await h.claim("worker-2"));
    expect(failed.state).toBe("failed");
    expect(failed.outcome).toContain("has commits Stamina did not make");
    expect(h.show(`${run.branch}:theirs.txt`)).toBe("x\n");
  });
});

describe("the tracking comment", () => {
  it("is found again, not posted twice, when its id was never stored", async () => {
    const created = await h.store.runs.create({
      installationId: 1,
      owner: OWNER,
      repo: REPO,
      issueNumber: 3,
      issueTitle: "t",
      issueBody: "b",
      requestedBy: "maintainer",
      deliveryId: "d-lost",
      config: parseRepoConfig({ setup: "exit 3" }),
    });
    if (!created.created) throw new Error("unreachable");
    // Posted by a trigger that died before it could store the comment's id.
    const ref = { installationId: 1, owner: OWNER, repo: REPO };
    await h.port.createComment(ref, 3, `queued\n\n${trackingNeedle(created.run.id)}`);
    await h.model([]);
    const failed = await h.execute(await h.claim());
    expect(failed).toMatchObject({ id: created.run.id, state: "failed" });
    const comments = h.github.issueComments(OWNER, REPO, 3);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain("the setup command `exit 3` exited with code 3");
  });
});
