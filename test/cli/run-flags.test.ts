// `stamina run --model`, `--budget-steps` and `--budget-dollars`: each reaches the run over the
// repository's config, and a bad value is refused before anything starts, naming its flag.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseJsonl } from "../../src/audit/verify.ts";
import { helpFor } from "../../src/cli/entry.ts";
import { editFile, reply, startModelServer, text, toolUse } from "../support/model-server/index.ts";
import { KEY, runWorld } from "./run-world.ts";

const w = runWorld();

const FILES = {
  "a.txt": "one\n",
  ".github/stamina.yml": "budget:\n  steps: 10\n  dollars: 5\nwatchdog:\n  enabled: false\n",
};
const TASK = ["--task", "Make a.txt say two"];
const BRANCH = "stamina/local-make-a-txt-say-two";

/** More turns than any budget below lets the run take. */
const LONG_SCRIPT = () => [
  reply(editFile("a.txt", "one", "two")),
  reply(toolUse("bash", { command: "cat a.txt" })),
  reply(toolUse("bash", { command: "ls" })),
  reply(toolUse("bash", { command: "wc -l a.txt" })),
  reply(text("a.txt says two.")),
  reply(text("Changed a.txt to two.")),
];

/** A run that changes nothing: asked once whether that is right (prompts/no-change.md), it says so. */
const NOTHING_TO_DO = () => [reply(text("Nothing to do.")), reply(text("Right: nothing to do."))];

describe("stamina run's flags reach the run", () => {
  it("--budget-steps stops the run after that many steps, over the config's budget", async () => {
    w.fixtureRepo(FILES);
    w.server = await startModelServer(LONG_SCRIPT(), { apiKey: KEY });
    const log = join(w.dir, "run.jsonl");
    const ran = await w.run(["--repo", w.repo, ...TASK, "--budget-steps", "2", "--audit-log", log]);
    expect(ran.stderr).toBe("");
    expect(w.server.requests).toHaveLength(2);
    expect(ran.stdout).toContain("Stamina used its whole step budget (2 steps) before it finished");
    expect(ran.stdout).toContain("Budget: 2 of 2 steps");
    expect(ran.status).toBe(1);
    // The work so far is committed, and the person is told how to get back.
    expect(w.git("show", `${BRANCH}:a.txt`)).toBe("two\n");
    expect(ran.stdout).toContain(`Your work is on ${BRANCH}; \`git switch -\` returns to main.`);
    // The audit log records the budget the run kept, so a replay keeps it too.
    const start = parseJsonl(readFileSync(log, "utf8")).find((e) => e.type === "agent.start");
    expect(start?.data).toMatchObject({ budget: { steps: 2, dollars: 5 } });
  });

  it("--budget-dollars stops the run at that spend", async () => {
    w.fixtureRepo(FILES);
    w.server = await startModelServer(LONG_SCRIPT(), { apiKey: KEY });
    const ran = await w.run(["--repo", w.repo, ...TASK, "--budget-dollars", "0.001"]);
    expect(ran.stderr).toBe("");
    expect(w.server.requests).toHaveLength(1);
    expect(ran.stdout).toContain("Stamina used its whole dollar budget");
    expect(ran.stdout).toMatch(
      /Budget: 1 of 10 steps, [\d,]+ of 5,000,000 tokens, \$0\.\d\d of \$0\.00/,
    );
  });

  it("--model is the model the requests name, over the config's", async () => {
    w.fixtureRepo({ ...FILES, ".github/stamina.yml": "model: claude-sonnet-5-5\n" });
    w.server = await startModelServer(NOTHING_TO_DO(), { apiKey: KEY });
    const ran = await w.run(["--repo", w.repo, ...TASK, "--model", "claude-haiku-4-5"]);
    expect(ran.stderr).toBe("");
    expect(ran.status).toBe(0);
    expect(new Set(w.server.requests.map((r) => r.body.model))).toEqual(
      new Set(["claude-haiku-4-5"]),
    );
  });

  it("--help lists the flags", () => {
    const usage = helpFor("run", ["--help"]) ?? "";
    for (const flag of ["--model ID", "--budget-steps N", "--budget-dollars AMOUNT"]) {
      expect(usage).toContain(flag);
    }
    expect(usage).toContain("claude-sonnet-5-5");
    expect(usage).not.toContain("claude-sonnet-4-5");
  });
});

describe("stamina run refuses a bad flag before anything starts", () => {
  const refusals: [string[], RegExp][] = [
    [
      ["--model", "gpt-5"],
      /^stamina run: --model gpt-5 is not a model Stamina knows; choose one of claude-sonnet-5-5, .*claude-haiku-4-5\.\n$/,
    ],
    [
      ["--model", "claude-sonnet-4-5"],
      /^stamina run: --model claude-sonnet-4-5: that model retired on 2026-11-30; choose one of claude-sonnet-5-5, /,
    ],
    [["--model", ""], /^stamina run: --model needs a model id; choose one of /],
    [["--budget-steps", "0"], /^stamina run: --budget-steps must be a whole number .* \(not "0"\)/],
    [
      ["--budget-steps", "2.5"],
      /--budget-steps must be a whole number of model turns from 1 to 10,000/,
    ],
    [["--budget-steps", "lots"], /--budget-steps must be a whole number .* \(not "lots"\)/],
    [["--budget-steps", "10001"], /--budget-steps must be a whole number .* \(not "10001"\)/],
    [
      ["--budget-dollars", "0"],
      /^stamina run: --budget-dollars must be an amount in US dollars, more than 0/,
    ],
    [["--budget-dollars=-1"], /--budget-dollars must be an amount .* \(not "-1"\)/],
    [["--budget-dollars", "five"], /--budget-dollars must be an amount .* \(not "five"\)/],
  ];

  it("a model it does not know or that retired, a budget that is no positive number: exit 2, the flag named", async () => {
    w.fixtureRepo(FILES);
    w.server = await startModelServer([], { apiKey: KEY });
    for (const [flag, said] of refusals) {
      const ran = await w.run(["--repo", w.repo, ...TASK, ...flag]);
      expect({ flag, status: ran.status, stderr: ran.stderr }).toMatchObject({ status: 2 });
      expect(ran.stderr, flag.join(" ")).toMatch(said);
    }
    expect(w.server.requests).toEqual([]);
    expect(w.git("branch", "--show-current").trim()).toBe("main");
    expect(w.staminaBranches()).toEqual([]);
  });

  it("a dollar amount may carry its $ sign", async () => {
    w.fixtureRepo(FILES);
    w.server = await startModelServer(NOTHING_TO_DO(), { apiKey: KEY });
    const ran = await w.run(["--repo", w.repo, ...TASK, "--budget-dollars", "$2.50"]);
    expect(ran.stderr).toBe("");
    expect(ran.stdout).toContain("of $2.50");
  });
});
