// The editor as the model meets it, through the real SDK and the scripted model on
// a real git worktree, its tools in the bubblewrap sandbox: bounded views whose
// notes lead to the end of a 500 KB single-line file without a loop, CRLF kept by
// a multi-line str_replace, and syntax errors returned with the edit that made them.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type Anthropic from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { createSandbox } from "../../src/sandbox/sandbox.ts";
import type { RecordedModelRequest } from "../support/model-server/index.ts";
import { reply, text, toolUse } from "../support/model-server/index.ts";
import { agentFixture, toolResultsOf, type AgentFixture } from "./fixture.ts";

const sandbox = createSandbox({ kind: "bubblewrap" });
let fx: AgentFixture;

afterEach(async () => {
  await fx.close();
});

const edit = (input: Record<string, unknown>) => toolUse("str_replace_based_edit_tool", input);

/** Runs one step of calls, then ends; returns the results the model got back. */
async function callAll(...calls: ReturnType<typeof toolUse>[]) {
  await fx.run([reply(...calls), ...Array.from({ length: 3 }, () => reply(text("Done.")))]);
  return toolResultsOf(fx.server(), 1);
}

/** The text of the tool result that `request` carries back, if it carries one. */
function lastResult(request: RecordedModelRequest): string | undefined {
  const content = request.body.messages.at(-1)?.content;
  if (!Array.isArray(content)) return undefined;
  const result = content.find((b) => b.type === "tool_result");
  return result?.type === "tool_result" && typeof result.content === "string"
    ? result.content
    : undefined;
}

const NEXT_PIECE =
  /view_range \[(\d+), (\d+)\] with char_range \[(\d+), (\d+)\] shows the next piece/;

describe("viewing", () => {
  it("shows a 500 KB single-line file in pieces, and following its notes reaches the end", async () => {
    const line = randomBytes(250_000).toString("hex");
    fx = agentFixture({ "dist/app.min.js": line }, { budget: { steps: 60 } }, sandbox);
    const calls: string[] = [];
    // Each turn does what the last result says; none says anything: the model is done.
    const follow = (request: RecordedModelRequest) => {
      const next = NEXT_PIECE.exec(lastResult(request) ?? "");
      if (next === null) return reply(text("Done."));
      const [, from, to, first, last] = next.map(Number);
      const input = { view_range: [from, to], char_range: [first, last] };
      calls.push(JSON.stringify(input));
      return reply(edit({ command: "view", path: "dist/app.min.js", ...input }));
    };
    await fx.run([
      reply(edit({ command: "view", path: "dist/app.min.js" })),
      ...Array.from({ length: 40 }, () => follow),
    ]);
    const results = fx
      .server()
      .requests.map(lastResult)
      .filter((r): r is string => r?.startsWith("Here's the result") === true);
    // The first view shows the start of the line, each piece what follows: no call twice.
    expect(new Set(calls).size).toBe(calls.length);
    expect(results).toHaveLength(1 + Math.ceil((line.length - 2_000) / 20_000));
    const pieces = results.map((r) => /\n {5}1\t([0-9a-f]*)/.exec(r)?.[1] ?? "");
    expect(pieces.join("")).toBe(line);
    for (const result of results) expect(result.length).toBeLessThan(25_000);
    // The tool definition tells the model how much a view holds.
    const tool = fx
      .server()
      .requests[0]!.body.tools?.find(
        (t) => "name" in t && t.name === "str_replace_based_edit_tool",
      );
    expect((tool as Anthropic.ToolTextEditor20250728).max_characters).toBe(100_000);
  });

  it("caps a long file's view with a note whose view_range shows the lines that follow", async () => {
    const lines = Array.from({ length: 2_500 }, (_, i) => `const v${i + 1} = ${i + 1};`);
    fx = agentFixture({ "long.ts": `${lines.join("\n")}\n` }, {}, sandbox);
    const [whole, next] = await callAll(
      edit({ command: "view", path: "long.ts" }),
      edit({ command: "view", path: "long.ts", view_range: [2001, 2500] }),
    );
    expect(whole!.content).toContain(
      "  2000\tconst v2000 = 2000;\n[Output cut after line 2000 of 2500: one view shows at most 2000 lines and 100000 characters. Use view_range [2001, 2500] to see more",
    );
    expect(next!.content).toMatch(/^Here's the result .*\n {2}2001\tconst v2001 = 2001;\n/);
    expect(next!.content).toMatch(/ {2}2500\tconst v2500 = 2500;\n$/);
  });
});

describe("line endings", () => {
  it("edits a CRLF file with a multi-line str_replace written with \\n, and keeps its CRLF", async () => {
    const original = "Module Main\r\n  Sub Hello()\r\n    Print 1\r\n  End Sub\r\nEnd Module\r\n";
    fx = agentFixture({ "main.vb": original }, {}, sandbox);
    const [result] = await callAll(
      edit({
        command: "str_replace",
        path: "main.vb",
        old_str: "  Sub Hello()\n    Print 1\n",
        new_str: "  Sub Hello()\n    Print 2\n    Print 3\n",
      }),
    );
    expect(result!.is_error).toBeFalsy();
    expect(readFileSync(join(fx.worktree, "main.vb"), "latin1")).toBe(
      "Module Main\r\n  Sub Hello()\r\n    Print 2\r\n    Print 3\r\n  End Sub\r\nEnd Module\r\n",
    );
    // Git sees the lines changed, and no line's ending.
    expect(fx.git("diff", "--numstat", fx.baseSha, "--", "main.vb")).toBe("2\t1\tmain.vb\n");
  });
});

describe("syntax check", () => {
  it("returns the errors an edit introduced with the edit, which stays made", async () => {
    fx = agentFixture(
      {
        "src/a.ts": "export function f(x: number): number {\n  return x + 1;\n}\n",
        "config.json": '{\n  "a": 1\n}\n',
        "ci.yml": "jobs:\n  test:\n    runs-on: ubuntu-latest\n",
        "tool.py": "def f(x):\n    return x + 1\n",
        "broken.js": "let a = ;\n",
      },
      {},
      sandbox,
    );
    const results = await callAll(
      edit({ command: "str_replace", path: "src/a.ts", old_str: "x + 1;", new_str: "(x + 1;" }),
      edit({ command: "str_replace", path: "config.json", old_str: '"a": 1', new_str: '"a": 1,' }),
      edit({ command: "insert", path: "ci.yml", insert_line: 3, insert_text: "  - [x\n" }),
      edit({ command: "str_replace", path: "tool.py", old_str: "def f(x):", new_str: "def f(x)" }),
      // Already broken before: this edit adds nothing new, and nothing is said.
      edit({ command: "insert", path: "broken.js", insert_line: 1, insert_text: "let b = 2;\n" }),
      edit({ command: "create", path: "src/new.ts", file_text: "export const b = 2;\n" }),
    );
    expect(results.map((r) => r.is_error ?? false)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    const [ts, json, yaml, py, broken, created] = results.map((r) => r.content);
    expect(ts).toMatch(
      /has been edited\.[\s\S]*\n\nA syntax check of the result \(TypeScript's parser\) found errors this edit introduced:\n {2}line 2, column \d+: '\)' expected\.\nThe edit was made/,
    );
    expect(json).toMatch(
      /\(JSON\.parse\) found errors this edit introduced:\n {2}line 3, column 1: /,
    );
    expect(yaml).toMatch(/\(the yaml package\) found errors this edit introduced:\n {2}line \d+/);
    expect(py).toMatch(
      /\(Python's compile\(\), in the sandbox\) found errors this edit introduced:\n {2}line 1, column \d+: expected ':'/,
    );
    expect(broken).not.toContain("syntax check");
    expect(created).toBe(`File created: ${fx.worktree}/src/new.ts`);
    expect(readFileSync(join(fx.worktree, "src/a.ts"), "utf8")).toContain("return (x + 1;");
    // No Python bytecode, and nothing of the check left in the worktree.
    expect(fx.git("status", "--porcelain", "--untracked-files=all")).not.toMatch(/pycache|syntax-/);
  });
});
