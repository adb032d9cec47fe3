// A corpus of hostile repositories, each through a real run (the fake GitHub,
// the scripted model, real git, real bubblewrap): what the repository, its
// setup and the agent write tries to run code in the harness through git.
// Each trap touches a marker in a folder of the host that the sandbox does
// not show; a marker there means the harness ran it. Each run must still end
// with its pull request (the worker carries on), the audit log must say what
// was refused, and a plain run afterwards must work as ever.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reply, toolUse } from "../support/model-server/index.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";
import { corpusRunner, eventData, toolResults } from "./corpus.ts";

let h: Harness;
let markers: string;
let hostileRun: ReturnType<typeof corpusRunner>;

beforeAll(async () => {
  h = await startHarness({ "a.txt": "one\n" }, { sandbox: "bubblewrap" });
  markers = join(h.dir, "markers");
  mkdirSync(markers);
  hostileRun = corpusRunner(h);
});
afterAll(() => h.close());

/** A nested repository whose clean filter, fsmonitor and hooks would each touch a marker. */
function nestedRepo(path: string, marker: string): string {
  const mark = join(markers, marker);
  return [
    `mkdir -p ${path} && cd ${path} && git init -q`,
    `git config filter.evil.clean 'touch ${mark}; cat'`,
    `git config filter.evil.smudge 'touch ${mark}; cat'`,
    `git config core.fsmonitor 'touch ${mark}'`,
    "printf '* filter=evil\\n' > .gitattributes && echo inside > f.txt",
    "git add . && git -c user.name=a -c user.email=a@example.com commit -qm nested",
    "cd - >/dev/null && touch -d '+1 minute' " + `${path}/f.txt`,
  ].join(" && ");
}

/** Files on the run's pushed branch. */
function pushedFiles(branch: string): string[] {
  return h.git("ls-tree", "-r", "--name-only", branch).split("\n");
}

function noMarkers(): void {
  expect(readdirSync(markers)).toEqual([]);
}

describe("hostile repositories, through real runs", () => {
  it("a nested repository made by setup: its filters never run; it is left out and said so", async () => {
    const { run, events } = await hostileRun([], {
      setup: nestedRepo("vendor/lib", "setup-nested"),
    });
    noMarkers();
    expect(run.state).toBe("succeeded");
    expect(eventData(events, "git.refused")[0]?.nested).toEqual(["vendor/lib"]);
    const files = pushedFiles(run.branch!);
    expect(files).toContain("a.txt");
    expect(files.some((f) => f.startsWith("vendor/"))).toBe(false);
  });

  it("a nested repository made by the agent, and its commit: left out, and the model is told", async () => {
    const { run, events } = await hostileRun([
      nestedRepo("tools/evil", "agent-nested"),
      // A second nested repository inside a new, untracked folder.
      nestedRepo("new/deeper/evil", "agent-nested-deep"),
      reply(toolUse("checkpoint", { message: "Work so far" })),
    ]);
    noMarkers();
    expect(run.state).toBe("succeeded");
    // Said once for each new set: after the first, then after both.
    expect(eventData(events, "git.refused").map((d) => d.nested)).toEqual([
      ["tools/evil"],
      ["new/deeper/evil", "tools/evil"],
    ]);
    const told = toolResults(events).join("\n");
    expect(told).toContain("Left out of the commit: new/deeper/evil/, tools/evil/");
    expect(
      pushedFiles(run.branch!).some((f) => f.startsWith("tools/") || f.startsWith("new/")),
    ).toBe(false);
  });

  it("a top-level .gitattributes filter and diff driver, and hooks and fsmonitor: git's config is out of the agent's reach", async () => {
    const mark = join(markers, "top-level");
    const { run, events } = await hostileRun(
      [
        [
          "printf '* filter=evil diff=evil merge=evil\\n' > .gitattributes",
          `git config filter.evil.clean 'touch ${mark}'`,
          `git config diff.evil.textconv 'touch ${mark}'`,
          `git config core.fsmonitor 'touch ${mark}'`,
          `mkdir -p .githooks && printf '#!/bin/sh\\ntouch ${mark}\\n' > .githooks/pre-commit`,
          "chmod +x .githooks/pre-commit",
          `printf '#!/bin/sh\\ntouch ${mark}\\n' > "$(git rev-parse --git-common-dir)/hooks/pre-commit"`,
          "echo done",
        ].join("; "),
      ],
      // Setup as husky does it: point git at the repository's hooks.
      { setup: "git config core.hooksPath .githooks || true" },
    );
    noMarkers();
    expect(run.state).toBe("succeeded");
    const outputs = toolResults(events).join("\n");
    // Each write to git's config or hooks failed inside the sandbox.
    expect(outputs).toMatch(/could not lock config file|Read-only file system/);
    expect(pushedFiles(run.branch!)).toEqual(
      expect.arrayContaining([".gitattributes", ".githooks/pre-commit", "a.txt"]),
    );
  });
});

describe("a repository with a submodule whose update is a command", () => {
  it("is never initialised, runs nothing, and the run says the folder was empty", async () => {
    const before = h.git("rev-parse", "main");
    addSubmodule("lib", `!touch ${join(markers, "submodule-update")}`);
    const { run, events, comment } = await hostileRun([], {
      setup: "git submodule update --init --recursive || true",
    });
    noMarkers();
    expect(run.state).toBe("succeeded");
    expect(eventData(events, "workspace.submodules")[0]?.submodules).toEqual(["lib"]);
    expect(comment).toContain("This repository has submodules (`lib`)");
    const [pull] = h.github.pulls(OWNER, REPO).filter((p) => p.head === run.branch);
    expect(pull?.body).toContain("This repository has submodules (`lib`)");
    h.git("update-ref", "refs/heads/main", before);
  });
});

describe("after the hostile runs", () => {
  it("a plain run works as ever", async () => {
    const { run, events } = await hostileRun();
    expect(run.state).toBe("succeeded");
    expect(eventData(events, "git.refused")).toEqual([]);
    noMarkers();
    expect(existsSync(markers)).toBe(true);
  });
});

/** Adds a gitlink and its .gitmodules entry to main on "GitHub", with plumbing (no hooks run). */
function addSubmodule(path: string, update: string): void {
  const modules = `[submodule "${path}"]\n\tpath = ${path}\n\turl = ../elsewhere.git\n\tupdate = ${update}\n`;
  const blob = execFileSync("git", ["--git-dir", h.bare, "hash-object", "-w", "--stdin"], {
    input: modules,
    encoding: "utf8",
  }).trim();
  commitTree([
    ["--add", "--cacheinfo", `100644,${blob},.gitmodules`],
    ["--add", "--cacheinfo", `160000,${"1".repeat(40)},${path}`],
  ]);
}

function commitTree(updates: string[][]): void {
  const index = join(h.dir, "plumbing-index");
  const env = { ...process.env, GIT_INDEX_FILE: index };
  const git = (...args: string[]) =>
    execFileSync("git", ["--git-dir", h.bare, ...args], { env, encoding: "utf8" }).trim();
  git("read-tree", "main");
  for (const update of updates) git("update-index", ...update);
  const tree = git("write-tree");
  const commit = execFileSync(
    "git",
    ["--git-dir", h.bare, "commit-tree", tree, "-p", "main", "-m", "submodule"],
    {
      env: {
        ...env,
        GIT_AUTHOR_NAME: "Fixture",
        GIT_AUTHOR_EMAIL: "fixture@example.com",
        GIT_COMMITTER_NAME: "Fixture",
        GIT_COMMITTER_EMAIL: "fixture@example.com",
      },
      encoding: "utf8",
    },
  ).trim();
  git("update-ref", "refs/heads/main", commit);
}
