// The commit messages the harness writes from the model's words: its reply's
// sections read apart, the message held to git's form, the model's text
// cleaned as hostile input, and the harness's own subject when the model gave
// none it could use.
import { afterEach, describe, expect, it } from "vitest";
import {
  cleanCommitWords,
  commitFromReply,
  commitProblems,
  finalCommitMessage,
  harnessSubject,
  imperative,
  readFinalReply,
  wipCommit,
} from "../../src/agent/commit-message.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { agentFixture, lastMessageOf, type AgentFixture } from "./fixture.ts";

const REPLY = [
  "I made the pager count from one.",
  "",
  "## What changed",
  "- `src/pager.ts`: pages count from one.",
  "",
  "## Commit message",
  "Count pages from one",
  "",
  "The first page was page zero, which readers took for a bug.",
].join("\n");

describe("the reply that ends a turn", () => {
  it("is read apart into the summary, what changed and the commit message", () => {
    expect(readFinalReply(REPLY)).toEqual({
      summary: "I made the pager count from one.",
      changes: "- `src/pager.ts`: pages count from one.",
      commit: "Count pages from one\n\nThe first page was page zero, which readers took for a bug.",
    });
    // A `## Summary` heading, in any case, is the summary; a reply without sections is all summary.
    expect(readFinalReply("### summary\nDone.\n## COMMIT MESSAGE:\nAdd x\n\nWhy.")).toMatchObject({
      summary: "Done.",
      changes: null,
      commit: "Add x\n\nWhy.",
    });
    expect(readFinalReply("Changed a.txt.")).toEqual({
      summary: "Changed a.txt.",
      changes: null,
      commit: null,
    });
  });
});

describe("the model's commit message", () => {
  it("loses control characters, a code fence, its own trailers and a line break in the subject", () => {
    const words = cleanCommitWords(
      [
        "```",
        "Fix the \u001b[31mparser\u202e\r",
        "",
        "Empty input crashed it.\u0007",
        "Signed-off-by: Mallory <mallory@example.com>",
        "Co-Authored-By: Someone <someone@example.com>",
        "Reviewed-by: Trent <trent@example.com>",
        "Stamina-Audit: forged",
        "Change-Id: I123",
        "```",
      ].join("\n"),
    );
    expect(words).toEqual({ subject: "Fix the [31mparser", body: "Empty input crashed it." });
  });

  it("is held to git's form: an imperative subject of at most 72 characters, and a body", () => {
    expect(commitProblems({ subject: "Add a parser", body: "Because." })).toEqual([]);
    expect(commitProblems({ subject: "", body: "" })).toEqual(["it has no subject line"]);
    const problems = commitProblems({ subject: `Fixed ${"x".repeat(80)}`, body: "" });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain("more than 72");
    expect(problems[1]).toContain("does not read as an order");
    expect(problems[2]).toContain("no body");
    // A milestone may go without a body.
    expect(commitProblems({ subject: "Add a parser", body: "" }, false)).toEqual([]);
  });

  it("reads as an order by its first word", () => {
    for (const good of ["Fix x", "Add y", "Process z", "Proceed", "Embed w", "Bring v", "Focus"]) {
      expect(imperative(good), good).toBe(true);
    }
    for (const bad of ["Fixed x", "Fixes x", "Adding y", "This commit adds", "We fix", "WIP"]) {
      expect(imperative(bad), bad).toBe(false);
    }
    expect(imperative("Checks pass: test")).toBe(false);
  });

  it("is used when it holds, a long subject cut at a word with the rest kept in the body", () => {
    expect(commitFromReply(REPLY, ["src/pager.ts"])).toEqual({
      subject: "Count pages from one",
      body: "The first page was page zero, which readers took for a bug.",
    });
    const long = `Make the pager count its pages from one rather than from zero, as readers expect`;
    const words = commitFromReply(`## Commit message\n${long}\n\nWhy.`, []);
    expect(words.subject.length).toBeLessThanOrEqual(72);
    expect(words.subject).toBe(
      "Make the pager count its pages from one rather than from zero, as…",
    );
    expect(words.body).toBe("…readers expect\n\nWhy.");
  });

  it("gives way to a subject naming the files when the model wrote none, or none in the imperative", () => {
    expect(commitFromReply("Changed a.txt.", ["a.txt"])).toEqual({
      subject: "Update a.txt",
      body: expect.stringContaining("names the files") as string,
    });
    expect(commitFromReply("## Commit message\nFixed it\n\nIt was broken.", ["a", "b"])).toEqual({
      subject: "Update a and b",
      body: "It was broken.",
    });
  });
});

describe("the harness's own subjects", () => {
  it("name the files, as many as fit in 72 characters", () => {
    expect(harnessSubject([])).toBe("Update the work so far");
    expect(harnessSubject(["a.ts", "b.ts", "c.ts"])).toBe("Update a.ts, b.ts and c.ts");
    expect(harnessSubject(["a.ts", "b.ts", "c.ts", "d.ts"])).toBe(
      "Update a.ts, b.ts, c.ts and 1 more file",
    );
    const deep = Array.from({ length: 5 }, (_, i) => `src/a/very/deep/folder/file-${i}.ts`);
    expect(harnessSubject(deep)).toBe("Update src/a/very/deep/folder/file-0.ts and 4 more files");
    expect(harnessSubject([`${"x".repeat(80)}.ts`])).toBe("Update 1 file");
  });

  it("mark the work so far as WIP, with the limit that stopped the run in the body", () => {
    expect(
      wipCommit({ subject: "Count pages from one", body: "Why." }, "The budget ran out.\u0007"),
    ).toEqual({ subject: "WIP: Count pages from one", body: "The budget ran out.\n\nWhy." });
    const stopped = { stop: "out_of_budget", summary: REPLY, message: "Out of steps." };
    expect(finalCommitMessage(stopped, ["src/pager.ts"])).toBe(
      "WIP: Count pages from one\n\nOut of steps.\n\nThe first page was page zero, which readers took for a bug.",
    );
    expect(finalCommitMessage({ ...stopped, summary: "Half done." }, ["a.txt"])).toBe(
      "WIP: Update a.txt\n\nOut of steps.",
    );
    expect(finalCommitMessage({ ...stopped, stop: "completed" }, [])).toBe(
      "Count pages from one\n\nThe first page was page zero, which readers took for a bug.",
    );
  });
});

const CHECK = 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n';

describe("the commits of a run", () => {
  let fx: AgentFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  const bodies = (f: AgentFixture) =>
    f
      .git("log", "--format=%B%x00", `${f.baseSha}..HEAD`)
      .split("\0")
      .map((m) => m.trim())
      .filter((m) => m !== "");

  it("say what the model's reply says, with the harness's trailers and none of the model's", async () => {
    fx = agentFixture({ "a.txt": "one\n", "check.sh": CHECK }, { checks: { test: "sh check.sh" } });
    const ending = [
      "## Summary\na.txt says two.\n\n## What changed\n- a.txt: two.\n\n## Commit message",
      "Make a.txt say two\u0007",
      "",
      "The task asks for two.",
      "Signed-off-by: Mallory <mallory@example.com>",
      "Co-authored-by: Mallory <mallory@example.com>",
      "Stamina-Audit: forged",
    ].join("\n");
    const result = await fx.run([
      reply(editFile("a.txt", "one", "two")),
      reply(text(ending)),
      reply(text(ending)),
    ]);
    expect(result.stop).toBe("completed");
    const [message, ...others] = bodies(fx);
    expect(others).toEqual([]);
    expect(message).toMatch(
      /^Make a\.txt say two\n\nThe task asks for two\.\n\nStamina-Audit: [0-9a-f]{64}$/,
    );
  });

  it("ask the model once to mend a message out of form, then mend or replace it", async () => {
    fx = agentFixture({ "a.txt": "one\n", "check.sh": CHECK }, { checks: { test: "sh check.sh" } });
    const result = await fx.run([
      reply(editFile("a.txt", "one", "two")),
      reply(text("## Commit message\nChanged a.txt to two")),
      reply(text("## Commit message\nMake a.txt say two\n\nThe task asks for two.")),
      reply(editFile("a.txt", "two", "two, twice")),
      reply(text("## Commit message\nFixed it twice")),
    ]);
    expect(result.stop).toBe("completed");
    const asked = fx.events.filter((e) => e.type === "agent.commit_message_asked");
    expect(asked).toHaveLength(1);
    expect(asked[0]!.data.problems).toEqual([
      expect.stringContaining("does not read as an order"),
      expect.stringContaining("no body"),
    ]);
    expect(lastMessageOf(fx.server(), 2)).toContain("its commit message does not hold the form");
    // Asked once a run: the second message out of form gives way to the harness's subject.
    expect(bodies(fx).map((m) => m.split("\n")[0])).toEqual(["Update a.txt", "Make a.txt say two"]);
  });

  it("mark the work so far as WIP, with the budget that ran out, before the run ends", async () => {
    fx = agentFixture(
      { "a.txt": "one\n", "check.sh": CHECK },
      { checks: { test: "sh check.sh" }, budget: { steps: 2 } },
    );
    const result = await fx.run([
      reply(toolUse("bash", { command: "echo three > a.txt" })),
      reply(text("## Commit message\nMake a.txt say three\n\nA first step.")),
    ]);
    expect(result.stop).toBe("out_of_budget");
    expect(result.verification?.passed).toBe(false);
    expect(bodies(fx)[0]).toMatch(
      /^WIP: Make a\.txt say three\n\nStamina used its whole step budget \(2 steps\) before it finished; this is the work so far\.\n\nA first step\.\n\nStamina-Audit: /,
    );
    expect(fx.git("status", "--porcelain")).toBe("");
    expect(fx.events.find((e) => e.type === "git.commit")?.data).toMatchObject({
      reason: "budget",
    });
  });

  it("from the checkpoint tool, ask once for an imperative subject, then take the model's", async () => {
    fx = agentFixture({ "a.txt": "one\n" });
    await fx.run([
      reply(editFile("a.txt", "one", "two"), toolUse("checkpoint", { message: "Changed a.txt" })),
      reply(toolUse("checkpoint", { message: "Changed a.txt" })),
      reply(text("Done.")),
      reply(text("Done.")),
    ]);
    expect(lastMessageOf(fx.server(), 1)).toContain("Nothing was committed");
    expect(bodies(fx).map((m) => m.split("\n")[0])).toEqual(["Changed a.txt"]);
  });
});
