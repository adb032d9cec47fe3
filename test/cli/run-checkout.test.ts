// What `stamina run` leaves the checkout as: a run that commits nothing (a refused key, Ctrl-C)
// puts it back where it was and deletes its empty branch; a run that committed leaves the
// person on its branch with one line that says how to get back. Real git, the real CLI.
import type { ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { editFile, reply, startModelServer, text } from "../support/model-server/index.ts";
import { KEY, runWorld } from "./run-world.ts";

const w = runWorld();

const FILES = {
  "a.txt": "one\n",
  ".gitignore": "local.env\n",
  ".github/stamina.yml": "budget:\n  steps: 10\n",
};
const TASK = ["--task", "Make a.txt say two"];
const BRANCH = "stamina/local-make-a-txt-say-two";
const WRONG_KEY = "sk-ant-wrong-key-9876543210";

/** The checkout as the person left it: an ignored file of theirs beside the committed ones. */
function personalCheckout(): string {
  w.fixtureRepo(FILES);
  writeFileSync(join(w.repo, "local.env"), "TOKEN_NAME=dev\n");
  return w.git("rev-parse", "HEAD").trim();
}

function expectUntouched(head: string): void {
  expect(w.staminaBranches()).toEqual([]);
  expect(w.git("rev-parse", "HEAD").trim()).toBe(head);
  expect(w.git("status", "--porcelain", "--ignored")).toBe("!! local.env\n");
  expect(readFileSync(join(w.repo, "local.env"), "utf8")).toBe("TOKEN_NAME=dev\n");
  expect(readFileSync(join(w.repo, "a.txt"), "utf8")).toBe("one\n");
}

describe("stamina run leaves the checkout as it found it when it commits nothing", () => {
  it("a model that refuses the key (401): back on main, no stamina branch, the person's files as they were", async () => {
    const head = personalCheckout();
    w.server = await startModelServer([reply(text("Never sent."))], { apiKey: KEY });
    const ran = await w.run(["--repo", w.repo, ...TASK], { ANTHROPIC_API_KEY: WRONG_KEY });
    expect(w.server.requests.map((r) => r.status)).toEqual([401]);
    expect(ran.status).toBe(1);
    expect(ran.stderr).toContain(
      "stamina run: the run stopped: the model provider did not accept the credentials; check ANTHROPIC_API_KEY",
    );
    expect(ran.stderr).toContain(
      `Nothing was committed, so the checkout is back on main as it was, and the empty branch ${BRANCH} is deleted.`,
    );
    expect(w.git("branch", "--show-current").trim()).toBe("main");
    expectUntouched(head);
    expect(ran.stdout + ran.stderr).not.toContain(WRONG_KEY);
  });

  it("a detached HEAD: back on the same commit, detached, and the branch deleted", async () => {
    const head = personalCheckout();
    w.git("switch", "--quiet", "--detach", "HEAD");
    w.server = await startModelServer([reply(text("Never sent."))], { apiKey: KEY });
    const ran = await w.run(["--repo", w.repo, ...TASK], { ANTHROPIC_API_KEY: WRONG_KEY });
    expect(ran.status).toBe(1);
    expect(ran.stderr).toContain(
      `the checkout is back on commit ${head.slice(0, 12)} as it was, and the empty branch ${BRANCH} is deleted.`,
    );
    expect(w.git("branch", "--show-current").trim()).toBe("");
    expectUntouched(head);
  });

  it("Ctrl-C while the model is answering the first turn: back on main, the branch deleted", async () => {
    const head = personalCheckout();
    let child: ChildProcess | undefined;
    w.server = await startModelServer(
      [
        () => {
          // The person presses Ctrl-C while the answer streams; it never ends by itself.
          child!.kill("SIGINT");
          return { ...reply(text("Looking around.")), breakAfter: { events: 1, stall: true } };
        },
      ],
      { apiKey: KEY },
    );
    const ran = await w.runProcess(["--repo", w.repo, ...TASK], (c) => (child = c));
    expect(ran.stdout).toContain(`on branch ${BRANCH}`);
    expect(ran.stdout).toContain("Stopped: The run was cancelled.");
    expect(ran.stdout).toContain(
      `Nothing was committed, so the checkout is back on main as it was, and the empty branch ${BRANCH} is deleted.`,
    );
    expect(ran.status).toBe(1);
    expect(w.git("branch", "--show-current").trim()).toBe("main");
    expectUntouched(head);
  });
});

describe("stamina run leaves its work on its branch, and says how to get back", () => {
  it("a run that committed: the person stays on the branch, and `git switch -` returns to main", async () => {
    w.fixtureRepo({ ...FILES, ".github/stamina.yml": "budget:\n  steps: 1\n" });
    w.server = await startModelServer([reply(editFile("a.txt", "one", "two"))], { apiKey: KEY });
    const ran = await w.run(["--repo", w.repo, ...TASK]);
    expect(ran.stderr).toBe("");
    expect(ran.stdout).toContain("Stamina used its whole step budget (1 step)");
    expect(ran.stdout).toMatch(
      /\nYour work is on stamina\/local-make-a-txt-say-two; `git switch -` returns to main\.\n$/,
    );
    expect(w.git("branch", "--show-current").trim()).toBe(BRANCH);
    expect(w.git("log", "--format=%s", "main..HEAD").trim().split("\n")).toHaveLength(1);
    expect(w.git("show", "HEAD:a.txt")).toBe("two\n");

    w.git("switch", "--quiet", "-");
    expect(w.git("branch", "--show-current").trim()).toBe("main");
    expect(readFileSync(join(w.repo, "a.txt"), "utf8")).toBe("one\n");
    expect(w.staminaBranches()).toEqual([BRANCH]);
  });

  it("a run that failed after changing files: the changes stay, uncommitted, on the branch", async () => {
    w.fixtureRepo(FILES);
    w.server = await startModelServer(
      [
        reply(editFile("a.txt", "one", "two")),
        { status: 401, errorType: "authentication_error", message: "invalid x-api-key" },
      ],
      { apiKey: KEY },
    );
    const ran = await w.run(["--repo", w.repo, ...TASK]);
    expect(ran.status).toBe(1);
    expect(ran.stderr).toContain("stamina run: the run stopped:");
    expect(ran.stderr).toContain(
      `The run's work is on ${BRANCH}, with uncommitted changes in the working tree; \`git switch -\` returns to main`,
    );
    expect(w.git("branch", "--show-current").trim()).toBe(BRANCH);
    expect(w.git("status", "--porcelain")).toBe(" M a.txt\n");
    expect(readFileSync(join(w.repo, "a.txt"), "utf8")).toBe("two\n");
  });
});
