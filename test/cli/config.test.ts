// `stamina config check`: a repository config checked offline as a trigger checks it, every
// problem at its line and column, an `_extends` named and left unread, and a file too large to
// be a config refused. Through the command's function, through the real bin, and against
// Probot's config loader for what `_extends` may say and which file it names.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { ProbotOctokit } from "probot";
import { afterAll, describe, expect, it } from "vitest";
import { configCommand } from "../../src/cli/config.ts";
import { checkConfigText } from "../../src/policy/config-file.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";

const BIN = resolve("bin/stamina.mjs");
const dir = mkdtempSync(join(tmpdir(), "stamina-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

async function check(args: string[], options: { stdin?: string; cwd?: string } = {}) {
  let out = "";
  let err = "";
  const code = await configCommand(args, {
    out: { write: (t: string) => (out += t) },
    err: { write: (t: string) => (err += t) },
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    cwd: options.cwd ?? dir,
  });
  return { code, out, err };
}

const GOOD = [
  "label: ai",
  "model: claude-opus-5",
  "setup: [npm ci]",
  "test: npm test",
  "budget:",
  "  steps: 80",
  "  dollars: 2.5",
  "",
].join("\n");

describe("stamina config check", () => {
  it("says ok and the label, model and budget, marking what the file leaves to the default", async () => {
    const { code, out, err } = await check(["check", file("good.yml", GOOD)]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toBe(
      [
        `${join(dir, "good.yml")}: ok`,
        "  label: ai",
        "  model: claude-opus-5",
        "  budget: 80 steps, 5,000,000 tokens (default), $2.50, 120 minutes (default)",
        "",
      ].join("\n"),
    );
  });

  it("names every problem by line, column and key: a wrong type, an unknown key, a bad budget", async () => {
    const path = file(
      "bad.yml",
      [
        "label: ai",
        "dry_run: no",
        "budget:",
        "  steps: lots",
        "  dollars: 0",
        "  hours: 3",
        "lable: x",
        "network:",
        "  allow: [pkgs.example.com, localhost]",
        "env:",
        "  1BAD: x",
        "",
      ].join("\n"),
    );
    const { code, out } = await check(["check", path]);
    expect(code).toBe(1);
    expect(out.split("\n")).toEqual([
      `${path}:2:10: dry_run: must be true or false`,
      `${path}:4:10: budget.steps: must be a whole number`,
      `${path}:5:12: budget.dollars: must be more than 0`,
      `${path}:6:3: budget.hours: unknown key`,
      `${path}:7:1: lable: unknown key (did you mean \`label\`?)`,
      `${path}:9:29: network.allow.1: (\`localhost\`) is a name for the local network, which commands may never reach`,
      `${path}:11:3: env.1BAD: is not a valid environment variable name`,
      `${path}: not valid, 7 problems.`,
      "",
    ]);
  });

  it("says the same as the comment a trigger posts, key by key", () => {
    // The problems are the schema's own (ConfigError's), not a second validator's.
    const raw = { budget: { steps: "lots" }, lable: "x" };
    const checked = checkConfigText("budget:\n  steps: lots\nlable: x\n");
    expect(checked.ok).toBe(false);
    expect(() => parseRepoConfig(raw)).toThrow(
      "`budget.steps` must be a whole number; unknown key `lable` (did you mean `label`?)",
    );
    if (!checked.ok) {
      expect(checked.problems.map((p) => `${p.key} ${p.message}`)).toEqual([
        "budget.steps must be a whole number",
        "lable unknown key (did you mean `label`?)",
      ]);
    }
  });

  it("gives each YAML syntax error its line and column, and checks no key then", async () => {
    const path = file(
      "syntax.yml",
      "label: ai\nlabel: b\nbudget:\n  steps: 50\n dollars: 2\nlable: x\n",
    );
    const { code, out } = await check(["check", path]);
    expect(code).toBe(1);
    // The YAML library's positions, which a trigger's comment gives too (src/app/repo-config.ts).
    expect(out).toBe(
      [
        `${path}:2:1: not valid YAML: Map keys must be unique`,
        `${path}:5:1: not valid YAML: All mapping items must start at the same column`,
        `${path}: not valid, 2 problems.`,
        "",
      ].join("\n"),
    );
  });

  it("checks the file's own keys and says the repository an `_extends` names was not read", async () => {
    const path = file("extends.yml", "_extends: my-org/.github\nbudget:\n  dollars: 5\n");
    const { code, out } = await check(["check", path]);
    expect(code).toBe(0);
    expect(out).toContain(`${path}: ok in its own keys; its _extends was not read (below)`);
    expect(out).toContain(
      "Not checked: `_extends: my-org/.github` (line 1) names .github/stamina.yml of my-org/.github; config check works offline and did not read it, so the keys it would add were not checked.",
    );
    // Its own problems are still found, and the note still made.
    const bad = file("extends-bad.yml", "_extends: policies:base.yml\nbudget:\n  dollars: 0\n");
    const second = await check(["check", bad]);
    expect(second.code).toBe(1);
    expect(second.out).toContain(`${bad}:3:12: budget.dollars: must be more than 0`);
    expect(second.out).toContain(
      "Not checked: `_extends: policies:base.yml` (line 1) names base.yml of the repository policies of the same owner;",
    );
    // A local path is no form Probot's loader reads: a problem, not a note.
    const local = await check(["check", file("local.yml", "_extends: ./base.yml\n")]);
    expect(local.code).toBe(1);
    expect(local.out).toContain(":1:11: _extends: must name a repository");
    expect(local.out).not.toContain("Not checked");
  });

  it("reads standard input for -, and the repository's file where it is started", async () => {
    const stdin = await check(["check", "-"], { stdin: "model: claude-imaginary-9\n" });
    expect(stdin.code).toBe(1);
    expect(stdin.out).toMatch(/^<stdin>:1:8: model: names a model Stamina has no price for/);
    const repo = join(dir, "repo");
    file("repo/.github/stamina.yml", GOOD);
    const here = await check(["check"], { cwd: repo });
    expect(here.code).toBe(0);
    expect(here.out).toMatch(/^\.github\/stamina\.yml: ok\n/);
    const empty = await check(["check", file("empty.yml", "")]);
    expect(empty.out).toContain("  budget: 50 steps (default),");
  });

  it("refuses what it cannot read: no file, a folder, a file too large to be a config", async () => {
    const none = await check(["check"], { cwd: join(dir, "nowhere") });
    expect(none.code).toBe(2);
    expect(none.err).toContain(
      `${join(dir, "nowhere", ".github/stamina.yml")} does not exist. Run config check in the repository's top folder, or name the file.`,
    );
    expect((await check(["check", dir])).err).toContain(`${dir} is a folder, not a file.`);
    const huge = file("huge.yml", `instructions: "${"x".repeat(2 * 1024 * 1024)}"\n`);
    const refused = await check(["check", huge]);
    expect(refused.code).toBe(2);
    expect(refused.out).toBe("");
    expect(refused.err).toBe(
      `stamina config: ${huge} is larger than 1 MiB, which no repository config is: is it the right file?\n`,
    );
    const piped = await check(["check", "-"], { stdin: "x".repeat(1024 * 1024 + 1) });
    expect(piped.err).toContain("standard input is larger than 1 MiB");
  });

  it("answers a wrong command line with its usage", async () => {
    for (const args of [[], ["chek"], ["check", "a.yml", "b.yml"], ["check", "--repo", "o/r"]]) {
      const { code, err } = await check(args);
      expect(code, args.join(" ")).toBe(2);
      expect(err).toContain("usage: stamina config check [FILE]");
    }
  });
});

describe("`_extends`, as Probot's config loader reads it", () => {
  /** What the loader makes of a repository file that says `_extends: value`: the files it reads. */
  async function loaderReads(value: string): Promise<string[] | "refused"> {
    // The loader's own code, given GitHub's answers through Octokit's fetch: the repository's
    // file, and 404 (no such file) for whatever the value names.
    const fetch = (url: string | URL) => {
      const own = String(url).includes("/repos/octo/greeter/contents/");
      return Promise.resolve(
        own
          ? new Response(`_extends: ${JSON.stringify(value)}\n`, {
              headers: { "content-type": "text/plain" },
            })
          : new Response('{"message":"Not Found"}', {
              status: 404,
              headers: { "content-type": "application/json" },
            }),
      );
    };
    const octokit = new ProbotOctokit({
      request: { fetch },
      retry: { enabled: false },
      throttle: { enabled: false },
    });
    try {
      const { files } = await octokit.config.get({
        owner: "octo",
        repo: "greeter",
        path: ".github/stamina.yml",
      });
      return files.slice(1).map((f) => `${f.owner}/${f.repo}:${f.path}`);
    } catch (error) {
      if (String(error).includes("Invalid value")) return "refused";
      throw error;
    }
  }

  const VALUES = [
    ...[".github", "policies", "my-org/policies", "my-org/policies:config/stamina.yml"],
    ...["My-Org/Policies:Config/Stamina.YAML", "a:b.yml", "repo.yml", `${"o".repeat(39)}/r`],
    ...[`${"o".repeat(40)}/r`, "", "./base.yml", "base", "org/repo/extra", "-bad/repo"],
    ...["org-/repo", "a--b/repo", "repo:path.json", "repo:", ":path.yml", "repo name"],
    ...["org/repo:path with space.yml", "ünï/repo", "org/re:po.yml:x.yml", "org/", "/repo"],
  ];

  it.each(VALUES)(
    "the schema takes %j exactly when the loader does, naming the same file",
    async (value) => {
      const reads = await loaderReads(value);
      const checked = checkConfigText(`_extends: ${JSON.stringify(value)}\n`);
      expect(checked.ok).toBe(reads !== "refused");
      if (reads === "refused" || value === "") {
        expect(checked.extends).toBeUndefined();
        return;
      }
      const target = checked.extends!;
      // The repository's own owner and path where the value leaves them out, as the loader reads it.
      expect([
        `${target.owner ?? "octo"}/${target.repo}:${target.path ?? ".github/stamina.yml"}`,
      ]).toEqual(reads);
    },
  );
});

describe("the stamina bin", () => {
  const run = promisify(execFile);

  it("checks a file, prints each problem and exits 1", async () => {
    const bad = file("bin-bad.yml", "budget:\n  steps: 0\n");
    const failed = await run(process.execPath, [BIN, "config", "check", bad], {
      cwd: dir,
      env: { PATH: process.env.PATH },
    }).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toBe("");
    expect(failed?.stdout).toBe(
      `${bad}:2:10: budget.steps: must be at least 1\n${bad}: not valid, one problem.\n`,
    );
  });
});
