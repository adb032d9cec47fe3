// Whether bubblewrap can start a sandbox on this host, and which limits can
// be enforced here; when it cannot, what failed and what the operator can do.
// The worker calls it before claiming anything: the sandbox is never dropped
// silently.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bubblewrapArgs, hostSystemMounts } from "./bubblewrap.ts";
import { cgroupLayout } from "./cgroup.ts";
import { findExecutable } from "./env.ts";
import type { LimitName } from "./limits.ts";
import { writeSandboxUsers } from "./sandbox-users.ts";

export type SandboxProbe =
  | {
      ok: true;
      kind: "bubblewrap";
      bubblewrapVersion: string;
      cgroup: "v2" | "v1" | "none";
      /** The limits this host can enforce; memory and processes need a cgroup. */
      limits: LimitName[];
      /** Why no cgroup can be used (cgroup "none"): for the operator's log. */
      cgroupProblem: string | null;
    }
  | { ok: false; reason: string; remedy: string };

/** Thrown by createSandbox when bubblewrap was asked for (the default) and cannot start. */
export class SandboxUnavailable extends Error {
  constructor(
    readonly reason: string,
    readonly remedy: string,
  ) {
    super(`${reason} ${remedy}`);
    this.name = "SandboxUnavailable";
  }
}

const OPT_OUT =
  "Or run without isolation with STAMINA_SANDBOX=process, which stamps a warning on every run.";

const INSTALL = `Install bubblewrap (Debian and Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap; Alpine: apk add bubblewrap). ${OPT_OUT}`;

const NAMESPACES =
  "Allow unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1 (Debian, older Ubuntu), " +
  "sysctl user.max_user_namespaces=15000 where it is 0, and on Ubuntu 24.04+ sysctl kernel.apparmor_restrict_unprivileged_userns=0 " +
  "(or an AppArmor profile for bwrap). In Docker, run the container with --security-opt seccomp=unconfined " +
  '--security-opt apparmor=unconfined --security-opt systempaths=unconfined (the last for "Can\'t mount proc"); ' +
  `in Kubernetes, the same through the pod's securityContext (procMount: Unmasked). ${OPT_OUT}`;

/** One program the probe runs: its stdout (as text), or a throw carrying its stderr. */
interface ProbeRun {
  file: string;
  args: string[];
}

const RUN_TIMEOUT_MS = 10_000;

/**
 * Probes synchronously (two short bwrap runs, and the cgroup setup once per process), as the
 * worker does before it claims anything.
 */
export function probeSandbox(opts: { bwrap?: string } = {}): SandboxProbe {
  const steps = probeSteps(opts);
  let next = steps.next();
  while (next.done !== true) {
    let stdout: string;
    try {
      stdout = execFileSync(next.value.file, next.value.args, {
        encoding: "utf8",
        timeout: RUN_TIMEOUT_MS,
        env: {},
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      next = steps.throw(error);
      continue;
    }
    next = steps.next(stdout);
  }
  return next.value;
}

/**
 * The same probe with its two bwrap runs awaited, not blocking: for a readiness check that
 * runs it again and again while the process serves requests.
 */
export async function probeSandboxAsync(opts: { bwrap?: string } = {}): Promise<SandboxProbe> {
  const steps = probeSteps(opts);
  let next = steps.next();
  while (next.done !== true) {
    const { file, args } = next.value;
    const outcome = await new Promise<{ stdout: string } | { error: unknown }>((resolve) => {
      const child = execFile(
        file,
        args,
        { encoding: "utf8", timeout: RUN_TIMEOUT_MS, env: {} },
        (error, stdout, stderr) =>
          resolve(error === null ? { stdout } : { error: Object.assign(error, { stderr }) }),
      );
      child.stdin?.end();
    });
    next = "error" in outcome ? steps.throw(outcome.error) : steps.next(outcome.stdout);
  }
  return next.value;
}

/** The passwd and group files of the probe's trial sandbox, written once per process. */
let probeUsers: ReturnType<typeof writeSandboxUsers> | undefined;

/** The probe's steps: yields each program to run, takes its stdout (or its failure thrown in). */
function* probeSteps(opts: { bwrap?: string }): Generator<ProbeRun, SandboxProbe, string> {
  const bwrap = opts.bwrap ?? findExecutable("bwrap");
  if (bwrap === null) {
    return {
      ok: false,
      reason: "bubblewrap (bwrap) is not installed: it is not in the system PATH.",
      remedy: INSTALL,
    };
  }
  let version: string;
  try {
    version = (yield { file: bwrap, args: ["--version"] }).trim();
  } catch (error) {
    return { ok: false, reason: `${bwrap} --version failed: ${failure(error)}`, remedy: INSTALL };
  }
  if (findExecutable("socat") === null) {
    return {
      ok: false,
      reason:
        "socat is not installed: commands with network (setup) reach the egress proxy through it.",
      remedy: `Install socat (Debian and Ubuntu: apt-get install socat; Fedora: dnf install socat; Alpine: apk add socat). ${OPT_OUT}`,
    };
  }
  const bash = findExecutable("bash") ?? "/bin/bash";
  const cwd = mkdtempSync(join(tmpdir(), "stamina-bwrap-probe-"));
  try {
    probeUsers ??= writeSandboxUsers();
    const system = hostSystemMounts({ users: probeUsers, extraReadOnlyPaths: [] });
    const trial = bubblewrapArgs(system, bash, {
      command: "true",
      cwd,
      env: {},
      egress: null,
      writablePaths: [],
      readOnlyPaths: [],
      protectedPaths: [],
      tmpBytes: sizesTmp(version) ? 1024 * 1024 : null,
    });
    yield { file: bwrap, args: trial };
  } catch (error) {
    return {
      ok: false,
      reason: `${version} is installed but cannot start a sandbox here (a user namespace with an unprivileged uid): ${failure(error)}`,
      remedy: NAMESPACES,
    };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  const cgroups = cgroupLayout();
  return {
    ok: true,
    kind: "bubblewrap",
    bubblewrapVersion: version.replace(/^bubblewrap\s*/, ""),
    cgroup: cgroups.version,
    limits: enforceable(cgroups.version !== "none", sizesTmp(version)),
    cgroupProblem: cgroups.problem,
  };
}

/** The limits enforced with or without a cgroup (and with or without bubblewrap's /tmp). */
export function enforceable(cgroup: boolean, privateTmp: boolean): LimitName[] {
  const limits: LimitName[] = [];
  if (cgroup) limits.push("memory", "processes");
  if (findExecutable("prlimit") !== null) limits.push("cpu", "file-size");
  if (privateTmp) limits.push("tmp");
  if (findExecutable("du") !== null) limits.push("worktree");
  return limits;
}

/** Whether this bubblewrap has --size for a tmpfs (0.7.0 and later); older ones get an unsized /tmp. */
export function sizesTmp(version: string): boolean {
  const [major = 0, minor = 0] = (/(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  return major > 0 || minor >= 7;
}

/** What a failed run said: its stderr (cut short), else its error. */
function failure(error: unknown): string {
  const stderr = (error as { stderr?: Buffer | string }).stderr?.toString().trim() ?? "";
  // A program that could not be started at all: the same words from execFile and execFileSync.
  const code = (error as { code?: unknown }).code;
  if (stderr === "" && code === "ENOENT") return "no such file (ENOENT)";
  if (stderr === "" && code === "EACCES") return "not executable (EACCES)";
  const text = stderr.length > 0 ? stderr : error instanceof Error ? error.message : String(error);
  const oneLine = text.replace(/\s+/g, " ");
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine;
}
