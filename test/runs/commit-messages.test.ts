// What reaches GitHub of the model's words, end to end against the fake
// GitHub and the scripted model: the commits say what the model's reply says
// (the harness's trailers kept, the model's own dropped), the pull request's
// "What changed" is the model's account of the whole diff, and at a budget
// limit the work so far is pushed as "WIP" before the run stops.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { OWNER, REPO, REQUESTER_ID, startHarness, type Harness } from "../support/run-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({
    "a.txt": "one\n",
    "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
  });
});
afterEach(() => h.close());

const ENDING = [
  "## Summary",
  "a.txt says two now, as the issue asks.",
  "",
  "## What changed",
  "- `a.txt`: its one line reads two instead of one.",
  "",
  "## Commit message",
  "Make a.txt say two",
  "",
  "The issue asks for two, and the check looks for it.",
  "Co-authored-by: Mallory <mallory@example.com>",
].join("\n");

/** The pull request body's section under `## title`, up to the next section. */
function section(body: string, title: string): string {
  const start = body.indexOf(`## ${title}\n`);
  if (start === -1) return "";
  const rest = body.slice(start + title.length + 4);
  const end = rest.search(/^## /m);
  return (end === -1 ? rest : rest.slice(0, end)).trim();
}

describe("a run's words on GitHub", () => {
  it("pushes the model's commit message and shows its account of the diff as What changed", async () => {
    await h.model([
      reply(editFile("a.txt", "one", "two")),
      reply(text(ENDING)),
      reply(text(ENDING)),
    ]);
    await h.queue({ test: "sh check.sh" });
    const finished = await h.execute(await h.claim());
    expect(finished.state).toBe("succeeded");

    const [pull] = h.github.pulls(OWNER, REPO);
    const messages = h
      .git("log", "--format=%B%x00", `${finished.baseSha}..${pull!.head}`)
      .split("\0")
      .map((m) => m.trim())
      .filter((m) => m !== "");
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(
      new RegExp(
        `^Make a\\.txt say two\\n\\nThe issue asks for two, and the check looks for it\\.\\n\\nCo-authored-by: maintainer <${REQUESTER_ID}\\+maintainer@users\\.noreply\\.github\\.com>\\nStamina-Audit: [0-9a-f]{64}$`,
      ),
    );
    expect(messages[0]).not.toContain("Checks pass");

    const body = pull!.body;
    // The summary is the model's, after the notices every text of this run carries.
    expect(section(body, "Summary").endsWith("\n\na.txt says two now, as the issue asks.")).toBe(
      true,
    );
    const changed = section(body, "What changed");
    expect(changed.startsWith("- `a.txt`: its one line reads two instead of one.")).toBe(true);
    // The files by area follow, and no commit subject stands in for the model's account.
    expect(changed).toContain("**`(root)`** (1 file, +1 −1)");
    expect(body).not.toContain("Make a.txt say two");
    expect(body).not.toContain("Commit message");
    expect(body).not.toContain("Mallory");
  });

  it("pushes the work so far as WIP, naming the budget, before the run waits at its limit", async () => {
    await h.model([
      reply(toolUse("bash", { command: "echo three > a.txt" })),
      reply(text("## Commit message\nMake a.txt say three\n\nA first step towards two.")),
    ]);
    await h.queue({ test: "sh check.sh", budget: { steps: 2 } });
    const waiting = await h.execute(await h.claim());
    // The spent budget asks a writer for more; the work is on GitHub before anyone answers.
    expect(waiting.state).toBe("awaiting_approval");
    const { branch } = await h.store.runs.mustGet(waiting.id);
    expect(h.git("log", "-1", "--format=%B", branch!)).toMatch(
      /^WIP: Make a\.txt say three\n\nStamina used its whole step budget \(2 steps\) before it finished; this is the work so far\.\n\nA first step towards two\.\n\nCo-authored-by: maintainer /,
    );
    expect(h.show(`${branch!}:a.txt`)).toBe("three\n");
    const wip = h.git("rev-parse", branch!);

    // Denied, the run ends out of budget: the draft's head is that commit, nothing lost.
    const finished = await h.decide(waiting, false);
    expect(finished.state).toBe("out_of_budget");
    const [pull] = h.github.pulls(OWNER, REPO);
    expect(pull).toMatchObject({ draft: true });
    expect(h.git("rev-parse", pull!.head)).toBe(wip);
    expect(section(pull!.body, "What changed")).toContain(
      "_The agent gave no account of the change; the files it touches:_",
    );
  });
});
