// The human in the loop, end to end: runs on the real worker path (executeRun)
// against the fake GitHub, the scripted model and real git, and the people
// answering them through the app's real webhook path (signed issue_comment
// deliveries, the same store). A question the model asks waits for a writer's
// reply, which becomes the tool's result; a change under a protected path waits
// for `/stamina approve` (pushed as is) or `/stamina deny` (rolled back, the run
// goes on without it); a budget running out asks for an extension.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RecordedModelRequest } from "../support/model-server/index.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { appBesideHarness, type AppBesideHarness } from "../support/app-beside-harness.ts";
import { byStep, OWNER, REPO, startHarness, stepOf, type Harness } from "../support/run-harness.ts";

let h: Harness;
let app: AppBesideHarness;
beforeEach(async () => {
  // Probot signs the app's JWTs by the real clock: the harness's clock starts there too.
  h = await startHarness({ "a.txt": "one\n", "b.txt": "keep\n" }, { clockStart: Date.now() });
  app = await appBesideHarness(h);
});
afterEach(async () => {
  await app.close();
  await h.close();
});

/** `user` comments `body` on the issue, and GitHub tells the app; the reactions it got. */
const say = async (user: string, body: string) =>
  app.reactions(await app.comment(body, { by: user }));

const comments = (issue = 1) => h.github.issueComments(OWNER, REPO, issue).map((c) => c.body);
const lastMessage = (r: RecordedModelRequest) => JSON.stringify(r.body.messages.at(-1));
const makeItTwo = editFile("a.txt", "one", "two");
const writeCi = (content: string) =>
  toolUse("str_replace_based_edit_tool", {
    command: "create",
    path: ".github/workflows/ci.yml",
    file_text: content,
  });
const checkpoint = (message: string) => toolUse("checkpoint", { message });
const auditTypes = async (runId: string) => (await h.store.audit.events(runId)).map((e) => e.type);

describe("ask_human", () => {
  it("waits for a writer's reply, ignores a reader's, and gives the answer as the tool's result", async () => {
    const ask = toolUse("ask_human", {
      question: "Should a.txt say two as a word or as the digit 2?",
      context: "The issue says two; the file holds words.",
      options: ["two", "2"],
    });
    const server = await h.model(
      byStep([reply(ask), reply(makeItTwo), reply(text("Done.")), reply(text("Two."))]),
    );
    await h.queue();
    const paused = await h.execute(await h.claim());
    expect(paused).toMatchObject({ state: "awaiting_reply", leaseOwner: null });
    const question = comments().find((b) => b.includes("to ask a question"))!;
    expect(question).toContain(
      "**The question:** Should a.txt say two as a word or as the digit 2?",
    );
    expect(question).toContain("**Why it asks:** The issue says two; the file holds words.");
    expect(question).toContain("- two\n- 2");
    expect(question).toContain("reply to this issue with a comment");
    expect(server.requests).toHaveLength(1);

    // A reader's reply is not an answer: no reaction, the run still waits.
    expect(await say("reader", "Use the digit.")).toEqual([]);
    expect((await h.store.runs.mustGet(paused.id)).state).toBe("awaiting_reply");

    expect(await say("maintainer", "As a word: two.")).toEqual(["+1"]);
    expect((await h.store.runs.mustGet(paused.id)).state).toBe("queued");
    const done = await h.execute(await h.claim("worker-2"));
    expect(done.outcome).toBe("pull request opened as a draft");
    expect(done.state).toBe("succeeded");

    // Step 2 reads the answer as the result of its ask_human call, and nothing else in between.
    const second = server.requests.find((r) => stepOf(r) === 2)!;
    const messages = second.body.messages;
    expect(messages).toHaveLength(3);
    const result = (messages[2]!.content as unknown as Array<Record<string, unknown>>)[0]!;
    expect(result).toMatchObject({ type: "tool_result", tool_use_id: ask.id, is_error: false });
    expect(String(result.content)).toContain("@maintainer, a maintainer of this repository");
    expect(String(result.content)).toContain("As a word: two.");
    expect(JSON.stringify(second.body)).not.toContain("Use the digit.");
    expect(h.show(`${h.github.pulls(OWNER, REPO)[0]!.head}:a.txt`)).toBe("two\n");
    expect(await auditTypes(paused.id)).toContain("agent.answered");
  });
});

describe("approvals by policy", () => {
  it("holds a workflow change until a writer approves exactly it, and asks again for a different one", async () => {
    const server = await h.model(
      byStep([
        reply(writeCi("on: push\n"), checkpoint("Add CI")),
        reply(makeItTwo),
        reply(writeCi("on: [push, pull_request]\n")),
        reply(text("Done.")),
        reply(text("Two, with CI.")),
      ]),
    );
    h.github.grantWorkflows(1);
    const queued = await h.queue();
    // Nothing waits yet: approve has nothing to answer.
    expect(await say("maintainer", "/stamina approve")).toEqual(["confused"]);

    const held = await h.execute(await h.claim());
    expect(held).toMatchObject({ state: "awaiting_approval", leaseOwner: null });
    const asks = comments().filter((b) => b.startsWith("🔐"));
    expect(asks).toHaveLength(1);
    expect(asks[0]).toContain(
      "changes a protected file (`.github/workflows/**`): `.github/workflows/ci.yml`",
    );
    expect(asks[0]).toContain("`/stamina approve`: this change is pushed as it is");
    expect(asks[0]).toContain("`/stamina deny`: the change is rolled back to the last checkpoint");
    expect(asks[0]).toContain("`workflows` permission");
    // Not pushed: the branch does not exist yet.
    expect(() => h.show(`${held.branch}:.github/workflows/ci.yml`)).toThrow();
    expect(await h.store.leases.claimNext("worker-2", 60_000)).toBeUndefined();

    // A reader's approval is ignored.
    expect(await say("reader", "/stamina approve")).toEqual([]);
    expect((await h.store.runs.mustGet(queued.id)).state).toBe("awaiting_approval");
    expect(await say("maintainer", "/stamina approve")).toEqual(["+1"]);
    const events = await h.store.audit.events(queued.id);
    expect(events.find((e) => e.type === "approval.granted")?.data).toMatchObject({
      by: "maintainer",
      source: "approval",
    });

    // Resumed: the held checkpoint is pushed as approved, and the model reads so.
    const second = await h.execute(await h.claim("worker-2"));
    const step2 = server.requests.find((r) => stepOf(r) === 2)!;
    expect(lastMessage(step2)).toContain(
      "@maintainer approved this change. Checkpoint committed and pushed",
    );
    // The end's change edits the workflow again: a different change, so it asks again.
    expect(second.state).toBe("awaiting_approval");
    expect(h.show(`${second.branch}:.github/workflows/ci.yml`)).toBe("on: push\n");
    expect(comments().filter((b) => b.startsWith("🔐"))).toHaveLength(2);
    expect(comments().at(-1)).toContain("and the pull request opens");

    expect(await say("maintainer", "/stamina approve")).toEqual(["+1"]);
    const done = await h.execute(await h.claim("worker-3"));
    expect(done.state).toBe("succeeded");
    const head = h.github.pulls(OWNER, REPO)[0]!.head;
    expect(h.show(`${head}:.github/workflows/ci.yml`)).toBe("on: [push, pull_request]\n");
    expect(h.show(`${head}:a.txt`)).toBe("two\n");
    const types = await auditTypes(queued.id);
    expect(types.filter((t) => t.startsWith("approval."))).toEqual([
      "approval.held",
      "approval.requested",
      "approval.granted",
      "approval.applied",
      "approval.held",
      "approval.requested",
      "approval.granted",
      "approval.applied",
    ]);
  });

  it("says plainly when GitHub refuses an approved workflow change for the missing workflows permission", async () => {
    await h.model(byStep([reply(writeCi("on: push\n"), checkpoint("Add CI"))]));
    const queued = await h.queue();
    expect((await h.execute(await h.claim())).state).toBe("awaiting_approval");
    expect(await say("maintainer", "/stamina approve")).toEqual(["+1"]);
    const failed = await h.execute(await h.claim("worker-2"));
    expect(failed.state).toBe("failed");
    expect(failed.outcome).toContain(
      "GitHub refused the push: it changes the workflow file `.github/workflows/ci.yml`",
    );
    expect(failed.outcome).toContain("the operator must grant the app that permission");
    expect(h.comment()).toContain("`workflows` permission");
    const events = await h.store.audit.events(queued.id);
    expect(events.find((e) => e.type === "git.push_refused")?.data.reason).toContain(
      "`workflows` permission",
    );
  });

  it("rolls a denied change back to the last checkpoint and goes on without it", async () => {
    const server = await h.model(
      byStep([
        reply(makeItTwo, checkpoint("Make it two")),
        reply(
          writeCi("on: push\n"),
          toolUse("bash", { command: "rm b.txt && echo extra > c.txt" }),
          checkpoint("Add CI"),
        ),
        reply(toolUse("bash", { command: "ls -a; ls .github 2>&1 || true" })),
        reply(text("Done.")),
        reply(text("Two.")),
      ]),
    );
    const queued = await h.queue();
    const held = await h.execute(await h.claim());
    expect(held.state).toBe("awaiting_approval");
    const pushed = held.headSha!;
    expect(h.show(`${held.branch}:a.txt`)).toBe("two\n");

    expect(await say("maintainer", "/stamina deny")).toEqual(["+1"]);
    const done = await h.execute(await h.claim("worker-2"));
    expect(done.state).toBe("succeeded");

    // The next thing the model read: what was denied, and that it was rolled back.
    const step3 = server.requests.find((r) => stepOf(r) === 3)!;
    const told = lastMessage(step3);
    expect(told).toContain("@maintainer, a maintainer of this repository, denied the change");
    expect(told).toContain("`.github/workflows/ci.yml`");
    expect(told).toContain(
      `rolled back: the worktree is the last checkpoint again (commit ${pushed.slice(0, 12)})`,
    );
    // And the worktree agreed: b.txt back, no c.txt, no workflow.
    const step4 = server.requests.find((r) => stepOf(r) === 4)!;
    const listing = lastMessage(step4);
    expect(listing).toContain("b.txt");
    expect(listing).not.toContain("c.txt");
    expect(listing).toContain("No such file or directory");

    const head = h.github.pulls(OWNER, REPO)[0]!.head;
    expect(h.show(`${head}:a.txt`)).toBe("two\n");
    expect(h.show(`${head}:b.txt`)).toBe("keep\n");
    expect(() => h.show(`${head}:.github/workflows/ci.yml`)).toThrow();
    const events = await h.store.audit.events(queued.id);
    expect(events.find((e) => e.type === "approval.denied")?.data).toMatchObject({
      by: "maintainer",
    });
    expect(events.find((e) => e.type === "git.rollback")?.data).toMatchObject({ to: pushed });
  });
});

describe("a budget running out", () => {
  it("asks for an extension; approve gives the configured share more and the run goes on", async () => {
    const look = reply(toolUse("str_replace_based_edit_tool", { command: "view", path: "a.txt" }));
    await h.model(byStep([look, reply(makeItTwo), reply(text("Done.")), reply(text("Two."))]));
    const queued = await h.queue({ budget: { steps: 2 }, approvals: { budget_extension: 1 } });
    const waiting = await h.execute(await h.claim());
    expect(waiting).toMatchObject({ state: "awaiting_approval", leaseOwner: null });
    const ask = comments().find((b) => b.includes("ran out of budget"))!;
    expect(ask).toContain("**What ran out:** Stamina used its whole step budget (2 steps)");
    expect(ask).toContain(
      "`/stamina approve`: 100% of each budget more (`budget_extension`): 2 more steps",
    );
    expect(ask).toContain("`/stamina deny`: the run ends as out of budget");

    expect(await say("maintainer", "/stamina approve")).toEqual(["+1"]);
    const done = await h.execute(await h.claim("worker-2"));
    expect(done.state).toBe("succeeded");
    expect(done.stepsUsed).toBe(4);
    const pull = h.github.pulls(OWNER, REPO)[0]!;
    expect(pull.body).toContain("4 of 4 steps");
    expect(await auditTypes(queued.id)).toContain("approval.granted");
  });

  it("ends the run out of budget on deny, with the work so far pushed", async () => {
    await h.model(byStep([reply(makeItTwo), reply(makeItTwo)]));
    await h.queue({ budget: { steps: 1 } });
    const waiting = await h.execute(await h.claim());
    expect(waiting.state).toBe("awaiting_approval");
    expect(await say("maintainer", "/stamina deny")).toEqual(["+1"]);
    const done = await h.execute(await h.claim("worker-2"));
    expect(done.state).toBe("out_of_budget");
    const pull = h.github.pulls(OWNER, REPO)[0]!;
    expect(pull.draft).toBe(true);
    expect(h.show(`${pull.head}:a.txt`)).toBe("two\n");
    expect(pull.body).toContain("the extension was denied");
  });
});
