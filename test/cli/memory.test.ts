// The memory and the watchdog from the terminal: `stamina run` keeps a
// checkout's memory beside its local runs and stops with its own message and
// exit code when the watchdog pauses it; `stamina replay` answers the memory
// as the recording found it; `stamina memory show|clear` reads and wipes a
// repository's memory, in the app's database or a checkout's.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryCommand } from "../../src/cli/memory.ts";
import { PAUSED_EXIT_CODE } from "../../src/cli/outcome.ts";
import { replayCommand } from "../../src/cli/replay/command.ts";
import { runCommand } from "../../src/cli/run.ts";
import { createRedactor } from "../../src/observability/redact.ts";
import { openStore } from "../../src/store/open.ts";
import { fixtureGit } from "../workspace/helpers.ts";
import {
  editFile,
  reply,
  startModelServer,
  text,
  toolUse,
  type ModelServer,
} from "../support/model-server/index.ts";

const KEY = "sk-ant-cli-memory-key-0123456789";
const root = mkdtempSync(join(tmpdir(), "stamina-cli-memory-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dir: string;
let repo: string;
let server: ModelServer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(root, "case-"));
  repo = join(dir, "repo");
  for (const [path, body] of Object.entries({ "a.txt": "one\n" })) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), body);
  }
  fixtureGit(repo, "init", "--quiet", "--initial-branch=main");
  fixtureGit(repo, "add", "--all");
  fixtureGit(repo, "commit", "--quiet", "-m", "initial");
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const env = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: dir,
  ANTHROPIC_API_KEY: KEY,
  ANTHROPIC_BASE_URL: server?.url ?? "http://127.0.0.1:9",
  STAMINA_DATA_DIR: join(dir, "data"),
});

async function cli(
  run: (args: string[], io: never) => Promise<number>,
  ...args: string[]
): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io = {
    out: { write: (t: string) => (stdout += t) },
    err: { write: (t: string) => (stderr += t) },
    env: env(),
    signal: new AbortController().signal,
  };
  const status = await run(args, io as never);
  return { status, stdout, stderr };
}

const look = reply(toolUse("str_replace_based_edit_tool", { command: "view", path: "a.txt" }));

describe("stamina run with memory and the watchdog", () => {
  it("keeps the checkout's memory for the next run, and stops paused with its own exit code", async () => {
    server = await startModelServer([
      reply(
        toolUse("memory", {
          command: "create",
          path: "/memories/a.md",
          file_text: "a.txt holds one word.",
        }),
      ),
      look,
      look,
      look,
      look,
      look,
      look,
    ]);
    const log = join(dir, "first.jsonl");
    const first = await cli(runCommand, "--repo", repo, "--task", "Read a.txt", "--audit-log", log);
    expect(first.stderr).toBe("");
    expect(first.status).toBe(PAUSED_EXIT_CODE);
    expect(first.stdout).toContain(
      "Paused, waiting for a person: The watchdog paused the run at step 7",
    );
    // The reason once, and no claim of committed work on a branch with no commits.
    expect(first.stdout.split("The watchdog paused the run").length - 1).toBe(1);
    expect(first.stdout).toContain("Nothing was committed: the session had not changed any file.");
    expect(first.stdout).not.toContain("The work so far is committed");
    expect(first.stdout).toContain(": no commits (nothing changed).");
    expect(first.stdout).not.toContain("Stopped:");

    // Any folder of the checkout names its memory.
    mkdirSync(join(repo, "sub"));
    const shown = await cli(memoryCommand, "show", "--checkout", join(repo, "sub"));
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(
      /The memory of .*\/repo: 1 file, 21 bytes\.\n\n== \/memories\/a\.md \(written .* by run local-.*\)\na\.txt holds one word\./,
    );

    await server.close();
    // A turn that changed nothing is asked once whether that is right (prompts/no-change.md).
    server = await startModelServer([
      reply(text("Nothing to change.")),
      reply(text("Right: the task only asks to look.")),
    ]);
    const second = await cli(runCommand, "--repo", repo, "--task", "Look again");
    expect(second.status).toBe(0);
    expect(JSON.stringify(server.requests[0]!.body.messages[0])).toContain(
      "--- /memories/a.md ---\\na.txt holds one word.",
    );

    // The replay answers the memory as the first run found it (empty), with no store written.
    await server.close();
    server = undefined;
    const replayed = await cli(replayCommand, log);
    expect(replayed.stdout + replayed.stderr).toContain("The replay matches the recording");

    expect((await cli(memoryCommand, "clear", "--checkout", repo)).stdout).toContain(
      "1 file deleted",
    );
    expect((await cli(memoryCommand, "show", "--checkout", repo)).stdout).toContain(
      "has no memory",
    );
  });
});

describe("stamina run paused after it changed a file", () => {
  it("says the work so far is committed, and shows the commit", async () => {
    server = await startModelServer([
      reply(editFile("a.txt", "one", "two")),
      ...Array.from({ length: 10 }, () => look),
    ]);
    const run = await cli(runCommand, "--repo", repo, "--task", "Make a.txt say two");
    expect(run.stderr).toBe("");
    expect(run.status).toBe(PAUSED_EXIT_CODE);
    expect(run.stdout.split("The watchdog paused the run").length - 1).toBe(1);
    expect(run.stdout).toContain("The work so far is committed on the branch below.");
    expect(run.stdout).toMatch(/: 1 commit on [0-9a-f]{12}:/);
  });
});

describe("stamina memory", () => {
  it("shows and clears a repository's memory in the app's database", async () => {
    const store = await openStore({
      sqlitePath: join(dir, "data", "stamina.db"),
      redactor: createRedactor(),
    });
    await store.memory.edit(
      "octo/demo",
      () => ({
        result: null,
        change: { put: [{ path: "/memories/build.md", content: "make test" }], remove: [] },
      }),
      "run-7",
    );
    await store.close();
    const shown = await cli(memoryCommand, "show", "--repo", "Octo/Demo");
    expect(shown.stdout).toContain("The memory of Octo/Demo: 1 file, 9 bytes.");
    expect(shown.stdout).toMatch(/== \/memories\/build\.md \(written .* by run run-7\)\nmake test/);
    const cleared = await cli(memoryCommand, "clear", "--repo", "octo/demo");
    expect(cleared.stdout).toBe(
      "Cleared the memory of octo/demo: 1 file deleted. Its next run starts with none.\n",
    );
    expect((await cli(memoryCommand, "clear", "--repo", "octo/demo")).stdout).toContain(
      "had no memory; nothing to clear",
    );
  });

  it("says what is wrong with the command line", async () => {
    const cases: Array<[string[], string]> = [
      [["list", "--repo", "a/b"], "say show or clear"],
      [["show"], "give --repo OWNER/NAME or --checkout PATH"],
      [["show", "--repo", "a/b", "--checkout", "."], "give --repo OWNER/NAME or --checkout PATH"],
      [["show", "--repo", "../etc"], '"../etc" is not a repository\'s OWNER/NAME'],
      [["clear", "--repo"], "--repo"],
    ];
    for (const [args, problem] of cases) {
      const ran = await cli(memoryCommand, ...args);
      expect(ran.status).toBe(2);
      expect(ran.stderr).toContain(problem);
      expect(ran.stderr).toContain("usage: stamina memory show|clear");
    }
  });
});
