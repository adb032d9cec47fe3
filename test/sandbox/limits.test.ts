// The sandbox's limits on real cgroups and rlimits, on both kinds: a fork
// bomb, a memory filler, a disk filler, a /tmp filler, a CPU burner and a
// worktree that grows too big are each stopped and reported with a message
// for the model, and the next command runs normally. Needs a cgroup: in CI a
// host without one fails here; elsewhere the tests are skipped, saying why.
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  commandEnvironment,
  createSandbox,
  probeSandbox,
  type CommandRequest,
  type SandboxLimits,
} from "../../src/sandbox/sandbox.ts";
import { PersistentShell } from "../../src/sandbox/shell.ts";
import { removeTempDirs, tempDir } from "../workspace/helpers.ts";

afterAll(removeTempDirs);

const MiB = 1024 * 1024;
const probe = probeSandbox();
const why = !probe.ok
  ? probe.reason
  : probe.cgroup === "none"
    ? `no cgroup can be used here: ${probe.cgroupProblem ?? "unknown"}`
    : null;
// In CI (the same kind of machine as production) a missing sandbox or cgroup fails the tests.
const skip = why !== null && process.env.CI !== "true";
const title = (name: string) => (skip ? `${name} (skipped: ${why})` : name);

function request(command: string, extra: Partial<CommandRequest> = {}): CommandRequest {
  const run = tempDir("stamina-limits-");
  return {
    command,
    cwd: run,
    timeoutMs: 20_000,
    network: false,
    env: commandEnvironment({ home: join(run, "home"), tmpdir: join(run, "tmp") }),
    outputDir: join(run, "outputs"),
    ...extra,
  };
}

function sandboxOf(kind: "bubblewrap" | "process", limits: Partial<SandboxLimits>) {
  return createSandbox({ kind, limits });
}

/** Our cgroup folders left behind (there should be none once a command ended). */
function leftovers(): string[] {
  const found: string[] = [];
  for (const root of ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/freezer", "/sys/fs/cgroup"]) {
    const base = join(root, "stamina");
    if (!existsSync(base)) continue;
    for (const group of readdirSync(base, { withFileTypes: true })) {
      if (!group.isDirectory()) continue;
      for (const entry of readdirSync(join(base, group.name))) {
        if (entry.startsWith(`c-${process.pid}-`)) found.push(join(base, group.name, entry));
      }
    }
  }
  return found;
}

describe.skipIf(skip).each(["bubblewrap", "process"] as const)(title("limits (%s)"), (kind) => {
  it("stops a fork bomb at the process limit, then runs the next command", async () => {
    const sandbox = sandboxOf(kind, { processes: 64 });
    const bomb = await sandbox.run(request(":(){ :|: ; };:", { timeoutMs: 3_000 }));
    expect(bomb.limit?.limit).toBe("processes");
    expect(bomb.limit?.message).toMatch(/limit of 64 processes \(per command\)/);
    const next = await sandbox.run(request("echo fine"));
    expect(next).toMatchObject({ exitCode: 0, output: "fine\n", limit: null });
  });

  it("kills a command past its memory limit, then runs the next command", async () => {
    const sandbox = sandboxOf(kind, { memoryBytes: 64 * MiB });
    const filler = await sandbox.run(request("head -c 1G /dev/zero | tail | wc -c"));
    expect(filler.limit).toEqual({
      limit: "memory",
      message:
        "The command was killed: it reached the sandbox's memory limit of 64 MiB (per command). Use less memory (fewer parallel jobs, smaller test shards) and try again.",
    });
    expect((await sandbox.run(request("echo fine"))).output).toBe("fine\n");
  });

  it("holds all commands of a run to the run's memory limit", async () => {
    const sandbox = sandboxOf(kind, { runMemoryBytes: 64 * MiB });
    const group = `run-${process.pid}-memory`;
    try {
      const filler = await sandbox.run(request("head -c 1G /dev/zero | tail", { group }));
      expect(filler.limit?.limit).toBe("memory");
      expect(filler.limit?.message).toMatch(/64 MiB \(for all commands of this run together\)/);
      expect((await sandbox.run(request("echo fine", { group }))).output).toBe("fine\n");
    } finally {
      await sandbox.releaseGroup(group);
    }
  });

  it("cuts a file at the file size limit, then runs the next command", async () => {
    const sandbox = sandboxOf(kind, { fileSizeBytes: MiB });
    const req = request("dd if=/dev/zero of=big bs=64k count=100");
    const filler = await sandbox.run(req);
    expect(filler.limit?.limit).toBe("file-size");
    expect(statSync(join(req.cwd, "big")).size).toBeLessThanOrEqual(MiB);
    expect((await sandbox.run(request("echo fine"))).output).toBe("fine\n");
  });

  it("kills a process past its CPU time", async () => {
    const sandbox = sandboxOf(kind, { cpuSeconds: 1 });
    const burner = await sandbox.run(request("while :; do :; done"));
    expect(burner.limit?.limit).toBe("cpu");
    expect(burner.timedOut).toBe(false);
    expect((await sandbox.run(request("echo fine"))).output).toBe("fine\n");
  });

  it("reports a worktree grown past its cap", async () => {
    const sandbox = sandboxOf(kind, { worktreeMaxBytes: MiB });
    const grown = await sandbox.run(request("head -c 3M /dev/urandom > blob"));
    expect(grown.limit?.limit).toBe("worktree");
    expect(grown.limit?.message).toMatch(/past the sandbox's limit of 1 MiB/);
    expect((await sandbox.run(request("echo fine"))).limit).toBeNull();
  });

  it("leaves no cgroup behind", () => {
    expect(leftovers()).toEqual([]);
  });
});

describe.skipIf(skip)(title("limits in bubblewrap"), () => {
  it("fills the private /tmp to its size, then runs the next command", async () => {
    const sandbox = sandboxOf("bubblewrap", { tmpBytes: MiB });
    const filler = await sandbox.run(request("dd if=/dev/zero of=/tmp/x bs=64k count=100"));
    expect(filler.exitCode).not.toBe(0);
    expect(filler.limit?.limit).toBe("tmp");
    expect((await sandbox.run(request("echo fine"))).output).toBe("fine\n");
  });
});

describe.skipIf(skip).each(["bubblewrap", "process"] as const)(
  title("the persistent shell under limits (%s)"),
  (kind) => {
    it("survives a fork bomb in it", async () => {
      const sandbox = sandboxOf(kind, { processes: 64 });
      const run = tempDir("stamina-limits-shell-");
      const group = `run-${process.pid}-bomb-${kind}`;
      const shell = new PersistentShell({
        sandbox,
        cwd: run,
        env: commandEnvironment({ home: join(run, "home"), tmpdir: join(run, "tmp") }),
        outputDir: join(run, "outputs"),
        group,
      });
      try {
        await shell.run("cd /; X=kept", { timeoutMs: 20_000 });
        const bomb = await shell.run(":(){ :|:& };:; sleep 1", { timeoutMs: 3_000 });
        expect(bomb.limit?.limit).toBe("processes");
        const next = await shell.run('echo "$PWD $X"; ls / > /dev/null && echo forked', {
          timeoutMs: 20_000,
        });
        // What the bomb printed as it was killed comes first (late output goes to the next command).
        expect(next.output).toMatch(/(^|\n)\/ kept\nforked\n$/);
        expect(next).toMatchObject({ exitCode: 0, shellEnded: false, limit: null });
        expect(shell.generation).toBe(1);
      } finally {
        await shell.close();
        await sandbox.releaseGroup(group);
      }
    });

    it("counts a memory hit for the command that made it", async () => {
      const sandbox = sandboxOf(kind, { memoryBytes: 64 * MiB });
      const run = tempDir("stamina-limits-shell-");
      writeFileSync(join(run, "marker"), "");
      const shell = new PersistentShell({
        sandbox,
        cwd: run,
        env: commandEnvironment({ home: join(run, "home"), tmpdir: join(run, "tmp") }),
        outputDir: join(run, "outputs"),
      });
      try {
        const filler = await shell.run("head -c 1G /dev/zero | tail | wc -c", {
          timeoutMs: 20_000,
        });
        expect(filler.limit?.limit).toBe("memory");
        const next = await shell.run("echo fine", { timeoutMs: 20_000 });
        expect(next).toMatchObject({ output: "fine\n", limit: null });
      } finally {
        await shell.close();
      }
    });
  },
);
