// The persistent shell on both sandboxes: state carries over between
// commands, a timeout interrupts the command and keeps the shell, a stuck
// shell is replaced, and the protocol survives whatever a command prints.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { MarkerScanner, frameCommand } from "../../src/sandbox/shell-protocol.ts";
import { PersistentShell } from "../../src/sandbox/shell.ts";
import {
  commandEnvironment,
  createSandbox,
  probeSandbox,
  type Sandbox,
} from "../../src/sandbox/sandbox.ts";
import { eventually, processesMatching, removeTempDirs, tempDir } from "../workspace/helpers.ts";

afterAll(removeTempDirs);

// Where bubblewrap cannot start, its half is skipped with the probe's reason in the title;
// in CI, which installs it, it runs and fails.
const probe = probeSandbox();
const skipBubblewrap = !probe.ok && process.env.CI !== "true";
const bubblewrapTitle = probe.ok ? "bubblewrap" : `bubblewrap, skipped: ${probe.reason}`;

function shellIn(sandbox: Sandbox, graceMs = 500): { shell: PersistentShell; cwd: string } {
  const run = tempDir("stamina-shell-");
  const cwd = join(run, "worktree");
  mkdirSync(join(cwd, "sub"), { recursive: true });
  const shell = new PersistentShell({
    sandbox,
    cwd,
    env: commandEnvironment({ home: join(run, "home"), tmpdir: join(run, "tmp") }),
    outputDir: join(run, "outputs"),
    graceMs,
  });
  return { shell, cwd };
}

const quick = { timeoutMs: 20_000 };

describe("the persistent shell (process)", () => shellSuite("process"));
describe.skipIf(skipBubblewrap)(`the persistent shell (${bubblewrapTitle})`, () =>
  shellSuite("bubblewrap"),
);

function shellSuite(kind: "process" | "bubblewrap") {
  let sandbox: Sandbox;
  beforeAll(() => {
    sandbox = createSandbox({ kind });
  });
  it("keeps the directory, variables and functions between commands", async () => {
    const { shell, cwd } = shellIn(sandbox);
    try {
      await shell.run("cd sub; export A=1; B=2; greet() { echo hi $1; }", quick);
      const result = await shell.run('pwd; echo "$A $B"; greet you', quick);
      expect(result).toMatchObject({ exitCode: 0, output: `${join(cwd, "sub")}\n1 2\nhi you\n` });
      expect(shell.generation).toBe(1);
    } finally {
      await shell.close();
    }
  });

  it("passes output through exactly, exit codes and stderr included, whatever the command holds", async () => {
    const { shell } = shellIn(sandbox);
    try {
      expect(await shell.run("printf 'no newline'", quick)).toMatchObject({
        output: "no newline",
        exitCode: 0,
      });
      const quoted = await shell.run(
        "echo \"it's\" 'a \\\"test\\\"' $'tab\\there'\necho two >&2; exit_code=4; (exit $exit_code)",
        quick,
      );
      expect(quoted).toMatchObject({ output: 'it\'s a \\"test\\" tab\there\ntwo\n', exitCode: 4 });
      // A command cannot read the shell's input, nor fake the end marker.
      expect(await shell.run("cat; echo read done", quick)).toMatchObject({
        output: "read done\n",
      });
      const fake = await shell.run("echo; echo __STAMINA_DONE_abc__ 0; echo after", quick);
      expect(fake.output).toBe("\n__STAMINA_DONE_abc__ 0\nafter\n");
      expect(await shell.run("if then", quick)).toMatchObject({ exitCode: 2 });
      expect(await shell.run("echo still here", quick)).toMatchObject({ output: "still here\n" });
    } finally {
      await shell.close();
    }
  });

  it("interrupts a command past its time, skips the rest of it, and keeps the shell", async () => {
    const { shell, cwd } = shellIn(sandbox);
    const marker = `50.${Math.floor(Math.random() * 1e6)}`;
    try {
      await shell.run("cd sub", quick);
      const slept = await shell.run(`sleep ${marker}; echo after`, { timeoutMs: 300 });
      expect(slept).toMatchObject({ timedOut: true, shellEnded: false });
      expect(slept.output).not.toContain("after");
      const looped = await shell.run("while :; do :; done", { timeoutMs: 300 });
      expect(looped).toMatchObject({ timedOut: true, shellEnded: false });
      expect((await shell.run("pwd", quick)).output).toBe(`${join(cwd, "sub")}\n`);
      expect(processesMatching(`sleep ${marker}`)).toEqual([]);
    } finally {
      await shell.close();
    }
  });

  it("replaces a shell that will not be interrupted, and says so", async () => {
    const { shell, cwd } = shellIn(sandbox, 300);
    try {
      await shell.run("cd sub", quick);
      const stuck = await shell.run("trap '' INT; while :; do :; done", { timeoutMs: 300 });
      expect(stuck).toMatchObject({ timedOut: true, shellEnded: true, exitCode: null });
      expect(stuck.note).toMatch(/shell was replaced/);
      expect((await shell.run("pwd", quick)).output).toBe(`${cwd}\n`);
      expect(shell.generation).toBe(2);
    } finally {
      await shell.close();
    }
  });

  it("reports a shell that exits, and starts a new one for the next command", async () => {
    const { shell, cwd } = shellIn(sandbox);
    try {
      await shell.run("cd sub", quick);
      const exited = await shell.run("echo bye; exit 3", quick);
      expect(exited).toMatchObject({ output: "bye\n", shellEnded: true, exitCode: null });
      expect(exited.note).toMatch(/exited with code 3/);
      expect((await shell.run("pwd", quick)).output).toBe(`${cwd}\n`);
    } finally {
      await shell.close();
    }
  });

  it("keeps background jobs between commands and ends them with the shell", async () => {
    const { shell } = shellIn(sandbox);
    const marker = `51.${Math.floor(Math.random() * 1e6)}`;
    await shell.run(`sleep ${marker} &`, quick);
    expect((await shell.run("jobs | wc -l", quick)).output).toBe("1\n");
    expect(processesMatching(`sleep ${marker}`)).toHaveLength(1);
    await shell.close();
    expect(await eventually(() => processesMatching(`sleep ${marker}`).length === 0, 3_000)).toBe(
      true,
    );
  });

  it("stops on abort", async () => {
    const { shell } = shellIn(sandbox);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const result = await shell.run("echo begun; sleep 30", {
      timeoutMs: 20_000,
      signal: controller.signal,
    });
    expect(result).toMatchObject({ aborted: true, shellEnded: true, output: "begun\n" });
    await shell.close();
  });
}

describe("the marker scanner", () => {
  it("finds the marker across chunk boundaries and holds back only its length", () => {
    const { scanner } = frameCommand("true");
    const mark = (scanner as unknown as { mark: Buffer }).mark.toString();
    const stream = Buffer.from(`out${"x".repeat(1000)}${mark}7\nlate`);
    let output = "";
    let status: number | undefined;
    let rest = "";
    for (let i = 0; i < stream.length; i += 5) {
      const scanned = scanner.push(stream.subarray(i, i + 5));
      output += scanned.output.toString();
      if (scanned.status !== undefined) {
        status = scanned.status;
        rest = scanned.rest?.toString() ?? "";
        break;
      }
      expect(output.length).toBeGreaterThanOrEqual(i + 5 - mark.length - 2);
    }
    expect({ output, status }).toEqual({ output: `out${"x".repeat(1000)}`, status: 7 });
    expect("late".startsWith(rest)).toBe(true);
    expect(new MarkerScanner("\nEND ").flush()).toHaveLength(0);
  });
});
