// Freezing a run's processes while the harness reads the worktree, and
// releasing a run's group, on both kinds: a background loop that writes a
// counter stops while frozen and goes on after the thaw; a released group has
// no process and no cgroup left.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { commandEnvironment, createSandbox, probeSandbox } from "../../src/sandbox/sandbox.ts";
import { PersistentShell } from "../../src/sandbox/shell.ts";
import { eventually, processesMatching, removeTempDirs, tempDir } from "../workspace/helpers.ts";

afterAll(removeTempDirs);

const probe = probeSandbox();
const skipBubblewrap = !probe.ok && process.env.CI !== "true";
const kinds = [
  ["process", false],
  [probe.ok ? "bubblewrap" : `bubblewrap, skipped: ${probe.reason}`, skipBubblewrap],
] as const;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(kinds)("a run's group (%s)", (name, skip) => {
  const kind = name === "process" ? "process" : "bubblewrap";

  function shellIn(group: string) {
    const run = tempDir("stamina-freeze-");
    const sandbox = createSandbox({ kind });
    const shell = new PersistentShell({
      sandbox,
      cwd: run,
      env: commandEnvironment({ home: join(run, "home"), tmpdir: join(run, "tmp") }),
      outputDir: join(run, "outputs"),
      group,
    });
    return { sandbox, shell, counter: join(run, "counter") };
  }

  const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").trim() : "");

  it.skipIf(skip)("freezes every process of the group, and thaws them", async () => {
    const group = `freeze-${process.pid}-${kind}`;
    const { sandbox, shell, counter } = shellIn(group);
    try {
      await shell.run(
        `(i=0; while :; do i=$((i+1)); echo $i > ${counter}.new; mv ${counter}.new ${counter}; done) &`,
        { timeoutMs: 20_000 },
      );
      expect(await eventually(() => Number(read(counter)) > 10, 5_000)).toBe(true);
      const thaw = await sandbox.freeze(group);
      const frozenAt = read(counter);
      await wait(300);
      expect(read(counter)).toBe(frozenAt);
      await thaw();
      expect(await eventually(() => Number(read(counter)) > Number(frozenAt), 5_000)).toBe(true);
      const next = await shell.run("echo alive", { timeoutMs: 20_000 });
      expect(next).toMatchObject({ output: "alive\n", shellEnded: false });
    } finally {
      await shell.close();
      await sandbox.releaseGroup(group);
    }
  });

  it.skipIf(skip)("kills what is left of a released group and removes its cgroups", async () => {
    const group = `release-${process.pid}-${kind}`;
    const marker = `52.${Math.floor(Math.random() * 1e6)}`;
    const { sandbox, shell } = shellIn(group);
    await shell.run(`sleep ${marker} &`, { timeoutMs: 20_000 });
    expect(processesMatching(`sleep ${marker}`)).toHaveLength(1);
    await sandbox.releaseGroup(group);
    expect(await eventually(() => processesMatching(`sleep ${marker}`).length === 0, 3_000)).toBe(
      true,
    );
    for (const root of ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/freezer", "/sys/fs/cgroup"]) {
      expect(existsSync(join(root, "stamina", group))).toBe(false);
    }
    // The shell went with the group: a command sent before it was seen to end reports that,
    // and the one after starts a fresh shell.
    let next = await shell.run("echo again", { timeoutMs: 20_000 });
    if (next.shellEnded) next = await shell.run("echo again", { timeoutMs: 20_000 });
    expect(next).toMatchObject({ output: "again\n", exitCode: 0 });
    await shell.close();
    await sandbox.releaseGroup(group);
  });
});
