// Generated tool inputs, as a model may send them: each tool given inputs of the right shape
// with hostile values (paths out of the worktree, into .git, NUL bytes, numbers as text, huge
// ranges) and inputs of no shape at all, run against a real git worktree. No tool throws, an
// error result says what is wrong in words, and nothing outside the worktree or in its .git
// changes.
import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fc, it } from "@fast-check/vitest";
import { afterAll, describe, expect } from "vitest";
import { scratchMemory } from "../../src/agent/memory.ts";
import type { PlanItem, Tool } from "../../src/agent/ports.ts";
import { createAskHumanTool } from "../../src/agent/tools/ask-human.ts";
import { createBashTool } from "../../src/agent/tools/bash.ts";
import { createEditorTool } from "../../src/agent/tools/editor.ts";
import { createMemoryTool } from "../../src/agent/tools/memory.ts";
import { createSearchTool } from "../../src/agent/tools/search.ts";
import { createUpdatePlanTool } from "../../src/agent/tools/update-plan.ts";
import { commandEnvironment, createSandbox } from "../../src/sandbox/sandbox.ts";
import { createSearcher } from "../../src/workspace/search.ts";
import { fixtureGit } from "../workspace/helpers.ts";
import { expectClearMessage, fuzzArea, fuzzParameters } from "./fuzz.ts";

const area = fuzzArea("tools");
const dir = mkdtempSync(join(tmpdir(), "stamina-fuzz-tools-"));
const worktree = join(dir, "worktree");
const outside = join(dir, "outside");
const outputs = join(dir, "outputs");
for (const d of [worktree, outside, outputs, join(dir, "home"), join(dir, "tmp")]) mkdirSync(d);
const SECRET = "outside-secret-7f3a\n";
writeFileSync(join(outside, "secret.txt"), SECRET);
writeFileSync(join(worktree, "a.txt"), "x = 1\ny = 2\n");
mkdirSync(join(worktree, "src"));
writeFileSync(join(worktree, "src", "b.ts"), "export const b = 1;\n");
symlinkSync(outside, join(worktree, "escape"));
fixtureGit(worktree, "init", "--quiet", "--initial-branch=main");
fixtureGit(worktree, "add", "--all");
fixtureGit(worktree, "commit", "--quiet", "-m", "start");
const HEAD = fixtureGit(worktree, "rev-parse", "HEAD");
const gitState = () =>
  execFileSync("git", ["-C", worktree, "for-each-ref"], { encoding: "utf8" }) +
  readFileSync(join(worktree, ".git", "HEAD"), "utf8");
const GIT_STATE = gitState();

const sandbox = createSandbox({ kind: "process" });
const env = commandEnvironment({ home: join(dir, "home"), tmpdir: join(dir, "tmp") });
const plans: PlanItem[][] = [];
const tools: Record<string, Tool> = {
  editor: createEditorTool(worktree),
  search: createSearchTool(createSearcher({ worktree, sandbox, env, outputDir: outputs })),
  update_plan: createUpdatePlanTool((plan) => {
    plans.push(plan);
    return Promise.resolve();
  }),
  memory: createMemoryTool(scratchMemory([{ path: "/memories/notes.md", content: "hello\n" }])),
  ask_human: createAskHumanTool(true),
  bash: createBashTool({
    sandbox,
    worktree,
    env,
    outputDir: outputs,
    timeoutMs: 5_000,
    resumed: false,
  }),
};

afterAll(async () => {
  for (const tool of Object.values(tools)) await tool.close?.();
  rmSync(dir, { recursive: true, force: true });
});

const path = fc.oneof(
  fc.constantFrom("a.txt", "src/b.ts", "src", ".", "new.txt", "src/new/deep.txt", "missing.txt"),
  fc.constantFrom(
    "../outside/secret.txt",
    "/etc/passwd",
    `${outside}/secret.txt`,
    "escape/secret.txt",
    "escape/new.txt",
  ),
  fc.constantFrom(
    ".git/config",
    ".git/HEAD",
    "src/../.git/HEAD",
    "a.txt\0.png",
    "",
    " ",
    "~/x",
    "/memories/../../etc",
  ),
  fc.constantFrom("/memories/notes.md", "/memories/new.md", "/memories", "/memories/../x"),
  fc.string({ maxLength: 12 }),
);
const value = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.constantFrom("3", "-1", "[1, 2]", "true", "yes", null),
  fc.anything(),
);
const range = fc.oneof(
  fc.tuple(fc.integer({ min: -3, max: 5 }), fc.integer({ min: -3, max: 5 })),
  fc.constantFrom("[1, 2]", "[1,", [1], [1e15, 2e15]),
  value,
);

/** An input shaped for `tool`, with any of its keys left out or given a hostile value. */
const shaped: Record<string, fc.Arbitrary<unknown>> = {
  editor: fc.record(
    {
      command: fc.constantFrom("view", "create", "str_replace", "insert", "undo_edit", "delete", 1),
      path,
      file_text: fc.oneof(fc.string({ maxLength: 20 }), value),
      old_str: fc.oneof(fc.constantFrom("x = 1", "y", "", "\n"), value),
      new_str: value,
      insert_line: fc.oneof(fc.integer({ min: -2, max: 10 }), value),
      insert_text: value,
      view_range: range,
    },
    { requiredKeys: ["command"] },
  ),
  search: fc.record(
    {
      pattern: fc.oneof(
        fc.constantFrom("x", "(", "[", "\\", "-e", "--pre=sh", "$(id)", ".*"),
        value,
      ),
      path,
      glob: fc.oneof(fc.constantFrom("*.ts", "!**", "**/..", "{", "../*"), value),
      case_insensitive: value,
      max_results: fc.oneof(fc.integer({ min: -1, max: 5 }), value),
    },
    { requiredKeys: [] },
  ),
  update_plan: fc.record(
    {
      plan: fc.oneof(
        fc.array(
          fc.record(
            {
              step: value,
              status: fc.oneof(
                fc.constantFrom("pending", "in_progress", "done", "DONE", "completed"),
                value,
              ),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 4 },
        ),
        fc.constantFrom('[{"step":"a","status":"done"}]', "[", "[]", "x"),
        value,
      ),
    },
    { requiredKeys: [] },
  ),
  memory: fc.record(
    {
      command: fc.constantFrom(
        "view",
        "create",
        "str_replace",
        "insert",
        "delete",
        "rename",
        "clear",
      ),
      path,
      new_path: path,
      file_text: value,
      old_str: value,
      new_str: value,
      insert_line: value,
      insert_text: value,
      view_range: range,
    },
    { requiredKeys: ["command"] },
  ),
  ask_human: fc.record(
    {
      question: fc.oneof(value, fc.constant(" ".repeat(5)), fc.constant("q".repeat(5000))),
      context: value,
    },
    { requiredKeys: [] },
  ),
  // Commands that read and print only, and every shape that is no command at all.
  bash: fc.oneof(
    fc.record(
      {
        command: fc.oneof(fc.constantFrom("", "   ", "a\0b"), fc.integer(), fc.anything()),
        restart: value,
      },
      { requiredKeys: [] },
    ),
    fc
      .string({ maxLength: 20 })
      .map((s) => ({ command: `printf '%s\\n' '${s.replace(/'/g, "'\\''")}'` })),
  ),
};

/** What is outside the worktree (its .git is checked once, at the end: a process each time). */
const snapshot = () => readdirSync(outside).map((f) => [f, readFileSync(join(outside, f), "utf8")]);
const before = snapshot();

describe.each(Object.keys(tools))("the %s tool", (name) => {
  const tool = tools[name]!;
  it.prop(
    [fc.oneof({ weight: 4, arbitrary: shaped[name]! }, fc.anything())],
    fuzzParameters(name === "bash" ? 25 : 150),
  )(
    "answers every input with a result, an error in words, and nothing outside the worktree changed",
    async (input) => {
      area.tried();
      const result = await area.guard(input, () =>
        tool.execute(input, new AbortController().signal),
      );
      expect(typeof result.output).toBe("string");
      expect(result.output).not.toContain(SECRET.trim());
      if (result.isError) {
        // zod's own wording ("expected string, received undefined") is words; the model's
        // values quoted back (`…`, JSON) are the model's.
        const words = result.output.replace(/`[^`\n]*`|"[^"\n]*"/g, "`x`");
        expectClearMessage(words, `${name} ${JSON.stringify(input)}`);
      }
      expect(snapshot()).toEqual(before);
    },
    60_000,
  );
});

describe("found by this fuzz", () => {
  it("a path with a NUL character is an error result, for the editor and the search", async () => {
    const signal = new AbortController().signal;
    const view = await tools.editor!.execute({ command: "view", path: "a.txt\0.png" }, signal);
    expect(view).toMatchObject({ isError: true });
    expect(view.output).toContain("contains a NUL character");
    const search = await tools.search!.execute({ pattern: "x", path: "src\0" }, signal);
    expect(search).toMatchObject({ isError: true });
    expect(search.output).toContain("contains a NUL character");
  });
});

describe("the worktree's git", () => {
  it("is where it was", () => {
    expect(fixtureGit(worktree, "rev-parse", "HEAD")).toBe(HEAD);
    expect(gitState()).toBe(GIT_STATE);
  });
});
