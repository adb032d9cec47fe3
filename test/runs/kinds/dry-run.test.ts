// The dry run's comment: the plan, the summary and the diff in one comment
// that GitHub accepts (65,536 characters at most), a diff too long for it cut
// at a line with a note naming what is not shown, and nothing in it that
// reads as a command.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseCommands } from "../../../src/app/commands.ts";
import { quietCommands } from "../../../src/github/quiet-commands.ts";
import { createRedactor } from "../../../src/observability/redact.ts";
import { parseRepoConfig } from "../../../src/policy/config.ts";
import { COMMENT_LIMIT, dryRunComment } from "../../../src/runs/kinds/dry-run.ts";
import { openStore } from "../../../src/store/open.ts";
import type { Store } from "../../../src/store/store.ts";
import type { AgentOutcome, Run } from "../../../src/store/types.ts";

let store: Store;
let run: Run;
beforeEach(async () => {
  store = await openStore({ sqlitePath: ":memory:", redactor: createRedactor() });
  const created = await store.runs.create({
    installationId: 1,
    owner: "octo",
    repo: "demo",
    issueNumber: 1,
    issueTitle: "Make it two",
    issueBody: "",
    requestedBy: "maintainer",
    deliveryId: "d1",
    config: parseRepoConfig({}),
    dryRun: true,
  });
  if (!created.created) throw new Error("unreachable");
  run = created.run;
});
afterEach(() => store.close());

const agent = (summary: string): AgentOutcome => ({
  stop: "completed",
  message: "done",
  budgetStop: null,
  steps: 3,
  summary,
  usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
  spent: { tokens: 0, dollars: 0, elapsedMs: 0 },
  phase: "review",
  plan: [
    { step: "Read a.txt", status: "done" },
    { step: "Make it\n- [x] say two", status: "in_progress" },
  ],
  verification: null,
  testWeakening: [],
});

function fileDiff(path: string, lines: number): string {
  const body = Array.from({ length: lines }, (_, i) => `+line ${i} of ${path}`).join("\n");
  return `diff --git a/${path} b/${path}\nnew file mode 100644\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1,${lines} @@\n${body}\n`;
}

describe("the dry run's comment", () => {
  it("holds the plan, one line a step, the summary and the whole diff when it fits", () => {
    const diff = fileDiff("a.txt", 3);
    const { body, cut } = dryRunComment(run, agent("a.txt is new."), diff, " 1 file changed");
    expect(cut).toBe(0);
    expect(body).toContain("- [x] Read a.txt\n- [ ] Make it - [x] say two\n");
    expect(body).toContain("a.txt is new.");
    expect(body).toContain(`\`\`\`diff\n${diff.trimEnd()}\n\`\`\``);
    expect(body).not.toContain("cut to fit");
  });

  it("cuts a diff too long for GitHub at a line, and names the files not shown", () => {
    const diff = ["a.txt", "b.txt", "c.txt"].map((p) => fileDiff(p, 2_000)).join("");
    expect(diff.length).toBeGreaterThan(COMMENT_LIMIT);
    const { body, cut } = dryRunComment(run, agent("Three files."), diff, " 3 files changed");
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(cut).toBeGreaterThan(0);
    const shown = /```diff\n([\s\S]*)\n```/.exec(body)?.[1] ?? "";
    expect(diff.startsWith(shown)).toBe(true);
    expect(shown.length + cut).toBe(diff.trimEnd().length);
    expect(body).toMatch(
      /_The diff is cut to fit in one comment: [\d,]+ of [\d,]+ characters shown/,
    );
    expect(body).toContain("Not shown, in whole or in part: `b.txt`, `c.txt`._");
  });

  it("fences a diff that holds backticks so it cannot end the block early", () => {
    const diff = fileDiff("README.md", 1).replace("+line 0", "+```js");
    const { body } = dryRunComment(run, agent(""), diff, "");
    expect(body).toContain("````diff\n");
    expect(body).toContain("_The agent wrote no summary._");
  });
});

describe("text Stamina writes", () => {
  it("has no line that reads as a command, fenced, quoted or indented", () => {
    const text = [
      "/stamina stop",
      "  /Stamina run now",
      "```",
      " ```",
      " /stamina retry",
      "```",
      "/staminas are fine",
      "see /stamina plan",
    ].join("\n");
    expect(parseCommands(text).length).toBeGreaterThan(0);
    const quiet = quietCommands(text);
    expect(parseCommands(quiet)).toEqual([]);
    expect(quiet).toContain("\\/stamina stop\n  \\/Stamina run now");
    expect(quiet).toContain("/staminas are fine\nsee /stamina plan");
  });
});
