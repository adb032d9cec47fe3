// The command runner, on both kinds: the environment is exactly what was
// asked, a timeout or an abort kills every process the command started, and
// huge output stays out of memory. Bubblewrap tests run where it can start;
// elsewhere they are skipped with the probe's reason in their title, and in CI
// (which installs bubblewrap) a sandbox that cannot start fails them.
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  commandEnvironment,
  createSandbox,
  DEFAULT_LIMITS,
  probeSandbox,
  probeSandboxAsync,
  SandboxUnavailable,
  type CommandRequest,
  type Sandbox,
  type SandboxProbe,
} from "../../src/sandbox/sandbox.ts";
import { eventually, processesMatching, removeTempDirs, tempDir } from "../workspace/helpers.ts";

afterAll(removeTempDirs);

const probe = probeSandbox();
const skipBubblewrap = !probe.ok && process.env.CI !== "true";
const bubblewrapTitle = probe.ok ? "bubblewrap" : `bubblewrap (skipped: ${probe.reason})`;

function request(command: string, extra: Partial<CommandRequest> = {}): CommandRequest {
  const run = tempDir("stamina-run-");
  const cwd = join(run, "worktree");
  return {
    command: `mkdir -p ${cwd} 2>/dev/null; ${command}`,
    cwd: run,
    timeoutMs: 20_000,
    network: false,
    env: commandEnvironment({
      home: join(run, "home"),
      tmpdir: join(run, "tmp"),
      extra: { FROM_CONFIG: "yes" },
    }),
    outputDir: join(run, "outputs"),
    ...extra,
  };
}

describe("commandEnvironment", () => {
  it("holds the allowlist and the config's entries, and keeps HOME and TMPDIR", () => {
    expect(
      commandEnvironment({ home: "/h", tmpdir: "/t", extra: { NODE_ENV: "test", HOME: "/root" } }),
    ).toEqual({
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      HOME: "/h",
      TMPDIR: "/t",
      LANG: "C.UTF-8",
      CI: "true",
      NO_COLOR: "1",
      FORCE_COLOR: "0",
      NODE_ENV: "test",
    });
    expect(() => commandEnvironment({ home: "/h", tmpdir: "/t", extra: { "A=B": "x" } })).toThrow(
      /invalid variable name/,
    );
  });
});

describe("createSandbox", () => {
  it("has no silent fallback: a bwrap that cannot start throws SandboxUnavailable, with words", () => {
    const fake = join(tempDir("stamina-fake-bwrap-"), "bwrap");
    writeFileSync(
      fake,
      "#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n",
      {
        mode: 0o755,
      },
    );
    const probed: SandboxProbe = probeSandbox({ bwrap: fake });
    expect(probed).toMatchObject({ ok: false });
    if (probed.ok) return;
    expect(probed.reason).toContain("No permissions to create new namespace");
    expect(probed.remedy).toMatch(/bubblewrap/);
    expect(probed.remedy).toMatch(/STAMINA_SANDBOX=process/);
    for (const kind of [undefined, "bubblewrap", "auto"] as const) {
      let thrown: unknown;
      try {
        createSandbox({ kind, bwrap: fake });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(SandboxUnavailable);
      const unavailable = thrown as SandboxUnavailable;
      expect(unavailable.reason).toBe(probed.reason);
      expect(unavailable.remedy).toBe(probed.remedy);
      expect(unavailable.message).toBe(`${probed.reason} ${probed.remedy}`);
    }
  });

  it("says so when bwrap is not there at all", () => {
    const probed = probeSandbox({ bwrap: "/nonexistent/bwrap" });
    expect(probed.ok).toBe(false);
    if (!probed.ok) expect(probed.remedy).toMatch(/Install bubblewrap/);
  });

  it("probes the same awaited as synchronously: this host's bwrap, a missing one, one that cannot mount /proc", async () => {
    // As in a container whose /proc is masked: --version answers, the trial sandbox fails.
    const masked = join(tempDir("stamina-masked-bwrap-"), "bwrap");
    writeFileSync(
      masked,
      '#!/bin/sh\nif [ "$1" = --version ]; then echo "bubblewrap 0.8.0"; exit 0; fi\necho "bwrap: Can\'t mount proc on /newroot/proc: Operation not permitted" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    for (const options of [{}, { bwrap: "/nonexistent/bwrap" }, { bwrap: masked }]) {
      expect(await probeSandboxAsync(options)).toEqual(probeSandbox(options));
    }
    const contained = await probeSandboxAsync({ bwrap: masked });
    expect(contained).toMatchObject({
      ok: false,
      reason:
        "bubblewrap 0.8.0 is installed but cannot start a sandbox here (a user namespace with an unprivileged uid): bwrap: Can't mount proc on /newroot/proc: Operation not permitted",
    });
    if (!contained.ok) expect(contained.remedy).toContain("--security-opt systempaths=unconfined");
  });

  it("has the documented default limits, and refuses a group that is not a plain name", async () => {
    const sandbox = createSandbox({ kind: "process", limits: { processes: 64 } });
    expect(sandbox.limits).toEqual({ ...DEFAULT_LIMITS, processes: 64 });
    expect(DEFAULT_LIMITS).toMatchObject({
      memoryBytes: 4 * 1024 ** 3,
      processes: 1024,
      tmpBytes: 2 * 1024 ** 3,
    });
    expect(() => createSandbox({ kind: "process", limits: { memoryBytes: 0 } })).toThrow(
      /memoryBytes must be a positive number/,
    );
    await expect(sandbox.run(request("true", { group: "../escape" }))).rejects.toThrow(
      /A sandbox group must match/,
    );
  });

  it("stamps the process kind with a warning, and bubblewrap with none", () => {
    expect(createSandbox({ kind: "process" }).warning).toMatch(
      /^Commands of this run ran WITHOUT a sandbox \(STAMINA_SANDBOX=process\): /,
    );
  });
});

describe.skipIf(skipBubblewrap)(`the probe on this host (${bubblewrapTitle})`, () => {
  it("reports bubblewrap's version, the cgroup and the limits it can enforce", () => {
    expect(probe).toMatchObject({ ok: true, kind: "bubblewrap" });
    if (!probe.ok) return;
    expect(probe.bubblewrapVersion).toMatch(/^\d+\.\d+/);
    expect(["v1", "v2", "none"]).toContain(probe.cgroup);
    expect(probe.limits).toEqual(expect.arrayContaining(["cpu", "file-size", "tmp", "worktree"]));
    if (probe.cgroup !== "none") expect(probe.limits).toContain("memory");
    expect(createSandbox().warning).toBeNull();
  });
});

describe("process sandbox", () => sandboxSuite("process"));
describe.skipIf(skipBubblewrap)(`${bubblewrapTitle} sandbox`, () => sandboxSuite("bubblewrap"));

function sandboxSuite(kind: "process" | "bubblewrap") {
  let sandbox: Sandbox;
  beforeAll(() => {
    sandbox = createSandbox({ kind });
  });
  it("gives the command exactly its environment", async () => {
    process.env.SECRET_TEST = "x";
    try {
      const req = request("tr '\\0' '\\n' < /proc/$$/environ; echo ---; env");
      const result = await sandbox.run(req);
      expect(result.exitCode).toBe(0);
      const [initial = "", viaEnv = ""] = result.output.split("---\n");
      const seen = Object.fromEntries(
        initial
          .trim()
          .split("\n")
          .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
      );
      // bwrap's --chdir always sets PWD, to the directory it was asked for.
      const expected = kind === "bubblewrap" ? { ...req.env, PWD: req.cwd } : req.env;
      expect(seen).toEqual(expected);
      expect(viaEnv).not.toContain("SECRET_TEST");
    } finally {
      delete process.env.SECRET_TEST;
    }
  });

  it("merges stdout and stderr in order and reports the exit code", async () => {
    const result = await sandbox.run(request("echo one; echo two >&2; echo three; exit 3"));
    expect(result).toMatchObject({ exitCode: 3, signal: null, timedOut: false, aborted: false });
    expect(result.output).toBe("one\ntwo\nthree\n");
    expect(result.fullOutputPath).toBeNull();
  });

  it("kills the whole process group on timeout", async () => {
    const marker = `30.${Math.floor(Math.random() * 1e6)}`;
    const req = request(`sleep ${marker} & sleep ${marker}; wait`, { timeoutMs: 500 });
    const started = Date.now();
    const result = await sandbox.run(req);
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await eventually(() => processesMatching(`sleep ${marker}`).length === 0, 3_000)).toBe(
      true,
    );
  });

  it("kills background jobs when the command itself ends", async () => {
    const marker = `31.${Math.floor(Math.random() * 1e6)}`;
    const result = await sandbox.run(request(`sleep ${marker} & echo started`));
    expect(result.output).toBe("started\n");
    expect(await eventually(() => processesMatching(`sleep ${marker}`).length === 0, 3_000)).toBe(
      true,
    );
  });

  it("stops on abort", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await sandbox.run(
      request("echo begun; sleep 30", { signal: controller.signal }),
    );
    expect(result).toMatchObject({ aborted: true, timedOut: false, exitCode: null });
    expect(result.output).toBe("begun\n");
  });

  it("does not start when already aborted", async () => {
    const req = request("touch ran", { signal: AbortSignal.abort() });
    const result = await sandbox.run(req);
    expect(result.aborted).toBe(true);
    expect(existsSync(join(req.cwd, "ran"))).toBe(false);
  });

  it("truncates huge output to head and tail and saves it whole", async () => {
    const result = await sandbox.run(request("yes | head -c 50000000"));
    expect(result.exitCode).toBe(0);
    expect(result.truncated).toBe(true);
    expect(result.totalBytes).toBe(50_000_000);
    expect(result.output.length).toBeLessThan(31_000);
    expect(result.output.startsWith("y\ny\n")).toBe(true);
    expect(result.output.endsWith("y\ny\n")).toBe(true);
    expect(result.output).toMatch(/\n… \[49970000 bytes cut; full output in .*\.log\] …\n/);
    expect(statSync(result.fullOutputPath ?? "").size).toBe(50_000_000);
  });

  it("keeps memory flat while a command prints hundreds of megabytes", async () => {
    const small = createSandbox({ kind, maxSavedBytes: 1024 * 1024 });
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const result = await small.run(request("yes 0123456789abcdef | head -c 400000000"));
    clearInterval(sampler);
    expect(result.totalBytes).toBe(400_000_000);
    expect(statSync(result.fullOutputPath ?? "").size).toBeLessThan(1024 * 1024 + 200);
    expect(peak - before).toBeLessThan(150 * 1024 * 1024);
  });

  it("never splits a UTF-8 character at the cut points", async () => {
    const result = await sandbox.run(request("yes 'é€😀ü' | head -n 20000"));
    expect(result.truncated).toBe(true);
    expect(result.output).not.toContain("\uFFFD");
  });
}
