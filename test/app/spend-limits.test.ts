// The operator's limits end to end (command-world.ts): a repository asking for more than the
// limit per run is held to it, and its run stops there saying which limit; a run stopped by the
// installation's daily limit cannot be retried past it; a model the operator does not allow is
// refused. The scripted model reports usage, so each step costs what the test says.
import { afterEach, describe, expect, it } from "vitest";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import type { ScriptedMessage } from "../support/model-server/index.ts";
import { ORG, REPO, startCommandWorld, type CommandWorld } from "./command-world.ts";

const FILES = {
  "a.txt": "one\n",
  "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
  // The repository asks for far more than the operator allows.
  ".github/stamina.yml": "test: sh check.sh\nbudget:\n  dollars: 500\n",
};

/** A step that costs $1.50 on claude-sonnet-5-5 ($2 a million input tokens). */
const costly = (message: ScriptedMessage): ScriptedMessage => ({
  ...message,
  usage: { input_tokens: 750_000, output_tokens: 0 },
});

let w: CommandWorld;
afterEach(() => w.close());

const reactions = (commentId: number) => w.github.commentReactions(ORG, REPO, commentId);

describe("the operator's spending limits", () => {
  it("hold a repository's budget to the limit per run, and say so when it stops the run", async () => {
    w = await startCommandWorld(FILES, { limits: { perRun: 2 } });
    await w.comment("/stamina run");
    await w.model([
      costly(reply(editFile("a.txt", "one", "two"))),
      costly(reply(toolUse("bash", { command: "cat a.txt" }))),
      reply(text("Done.")),
    ]);
    const run = await w.work();
    // About $1.50 spent; the next step would pass $2.00, so it never starts.
    expect(run).toMatchObject({ state: "out_of_budget", stepsUsed: 1 });
    const tracking = w.comments().at(-1)!;
    // About $1.50: the step's input, and the budget line each reply carries.
    expect(tracking).toMatch(
      /Stamina stopped at the operator's spending limit per run, \$2\.00 \(STAMINA_MAX_DOLLARS_PER_RUN\): \$1\.5\d spent/,
    );
    // The budget the pull request shows is the operator's, not the repository's $500.
    const [pull] = w.github.pulls(ORG, REPO);
    expect(pull).toMatchObject({ draft: true });
    expect(pull?.body).toMatch(/\$1\.5\d of \$2\.00/);
    expect(pull?.body).toContain("STAMINA_MAX_DOLLARS_PER_RUN");
    // Charged to the installation's ledger: the step's input and its few output tokens.
    const totals = await w.app.store.spend.totals(1);
    expect(totals.day).toBeCloseTo(1.5, 1);
    expect(totals.month).toBe(totals.day);
    const events = await w.app.store.audit.events(run.id);
    expect(events.find((e) => e.type === "budget.exhausted")?.data).toMatchObject({
      budget: "dollars",
      limit: 2,
      spent: totals.day,
    });
  });

  it("refuse a retry once the installation's daily limit is used up, with a comment", async () => {
    w = await startCommandWorld(FILES, { limits: { perInstallationDay: 1 } });
    await w.comment("/stamina run");
    await w.model([
      costly(reply(editFile("a.txt", "one", "two"))),
      reply(toolUse("bash", { command: "cat a.txt" })),
    ]);
    const run = await w.work();
    expect(run).toMatchObject({ state: "out_of_budget", stepsUsed: 1 });
    expect(w.comments().at(-1)).toMatch(
      /Stamina stopped at the operator's spending limit for this installation per day, \$1\.00 \(STAMINA_MAX_DOLLARS_PER_INSTALLATION_DAY\): \$1\.5\d spent or held today \(UTC\)\. `\/stamina retry` after midnight UTC continues from here/,
    );
    const { commentId } = await w.comment("/stamina retry");
    expect(reactions(commentId)).toEqual(["confused"]);
    expect(w.comments().at(-1)).toMatch(
      /^@maintainer: Stamina did not retry: the operator's spending limit for this installation per day, \$1\.00 \(STAMINA_MAX_DOLLARS_PER_INSTALLATION_DAY\), is used up \(\$1\.5\d spent or held today \(UTC\)\); `\/stamina retry` after midnight UTC continues from here\.$/,
    );
    // Nothing was queued.
    expect((await w.app.store.runs.list()).map((r) => r.id)).toEqual([run.id]);
  });

  it("refuse a model the operator does not allow, naming the ones it does", async () => {
    w = await startCommandWorld(
      { ...FILES, ".github/stamina.yml": "test: sh check.sh\nmodel: claude-opus-5\n" },
      { limits: { modelAllow: ["claude-sonnet-5-5"] } },
    );
    await w.comment("/stamina run");
    await w.model([reply(text("never asked"))]);
    const run = await w.work();
    expect(run.state).toBe("failed");
    expect(w.comments().at(-1)).toContain(
      "the model claude-opus-5 is not one the operator allows (STAMINA_MODEL_ALLOW: claude-sonnet-5-5)",
    );
  });
});
