// The command runner every agent and setup command goes through: bubblewrap
// (mandatory unless the operator opts out with the process kind, which is
// stamped on every run), with the same limits either way: exact environment,
// timeout, abort, bounded output, memory and processes by cgroup, CPU time and
// file size by prlimit, and the worktree's size after each command.
import { rmSync } from "node:fs";
import { chmod, mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { performance } from "node:perf_hooks";
import { bubblewrapArgs, hostSystemMounts, type MountOp } from "./bubblewrap.ts";
import { cgroupLayout } from "./cgroup.ts";
import {
  startEgressProxy,
  type BlockedRequest,
  type EgressProxy,
  type Resolver,
} from "./egress-proxy.ts";
import { findExecutable } from "./env.ts";
import { resolveLimits, type LimitHit, type LimitName, type SandboxLimits } from "./limits.ts";
import { OutputCollector } from "./output.ts";
import { runInProcessGroup, type GroupExit } from "./process-group.ts";
import { checkGroup, SandboxGroups } from "./sandbox-groups.ts";
import { enforceable, probeSandbox, SandboxUnavailable, sizesTmp } from "./sandbox-probe.ts";
import { writeSandboxUsers } from "./sandbox-users.ts";
import { LimitWatch, limitedCommand } from "./sandbox-watch.ts";

export { commandEnvironment } from "./env.ts";
export { DEFAULT_LIMITS, type LimitHit, type SandboxLimits } from "./limits.ts";
export {
  probeSandbox,
  probeSandboxAsync,
  SandboxUnavailable,
  type SandboxProbe,
} from "./sandbox-probe.ts";
export type { LimitWatch } from "./sandbox-watch.ts";
export type { BlockedRequest, Resolver } from "./egress-proxy.ts";

/**
 * A command's way out: the egress proxy, for the sandbox's allowlist (the machine's registries
 * and the operator's hosts) plus `allow` (the repository's). Each refused request is told to
 * `onBlocked`, with the command it came from.
 */
export interface NetworkGrant {
  allow: readonly string[];
  onBlocked: (blocked: BlockedRequest, command: string) => void;
}

export interface CommandRequest {
  /** Run by `bash -c`: the command is the model's, so a shell is intended. */
  command: string;
  cwd: string;
  timeoutMs: number;
  /** false: no network at all; otherwise only through the egress proxy, as granted. */
  network: NetworkGrant | false;
  /** The command's whole environment: nothing else is added (see commandEnvironment). */
  env: Record<string, string>;
  /** Where the full output of a truncated command is saved; readable inside the sandbox. */
  outputDir: string;
  signal?: AbortSignal;
  /** The run the command belongs to (its id): the run's limits, freeze and release go by it. */
  group?: string;
}

interface CommandResult {
  /** null when the command was killed by a signal (timeout and abort included). */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  /** stdout and stderr merged; head and tail with a note between them when truncated. */
  output: string;
  truncated: boolean;
  totalBytes: number;
  durationMs: number;
  /** Set when the output was truncated or cleaned of control sequences: the file with the bytes as written (up to maxSavedBytes). */
  fullOutputPath: string | null;
  /** A sandbox limit the command hit, with a message for the model; null: none. */
  limit: LimitHit | null;
}

/** What it takes to start a command in the sandbox, for a process the caller keeps (a shell). */
type LaunchRequest = Omit<CommandRequest, "timeoutMs" | "signal">;

/** The program, arguments and environment that start a LaunchRequest's command sandboxed. */
interface LaunchSpec {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** The limits the process runs under: tell it the pid, read it after each command. */
  watch: LimitWatch;
  /** Once the process has ended: its limits released and its egress proxy closed. */
  release(): Promise<void>;
}

export interface Sandbox {
  readonly kind: "bubblewrap" | "process";
  /** null for bubblewrap; for the process kind, the sentence to stamp on the run's comments, PRs and audit. */
  readonly warning: string | null;
  readonly limits: Readonly<SandboxLimits>;
  /** The limits enforced on this host (memory and processes need a cgroup). */
  readonly enforced: readonly LimitName[];
  /** The paths no command sees (SandboxOptions.protectedPaths), for the audit of who named one. */
  readonly protectedPaths: readonly string[];
  run(req: CommandRequest): Promise<CommandResult>;
  /**
   * Runs a command to its end, handing its output (stdout and stderr merged) to `onOutput` as
   * it comes, for a caller that reads it as a stream and may stop it early (through `signal`).
   */
  stream(
    req: CommandRequest,
    onOutput: (chunk: Buffer) => Promise<void> | undefined,
  ): Promise<GroupExit>;
  /** Spawn it in its own process group (detached), with no stdio inherited. */
  launch(req: LaunchRequest): Promise<LaunchSpec>;
  /** A collector for one command's output, with this sandbox's limits and a file name of its own. */
  collectOutput(outputDir: string): OutputCollector;
  /** Freezes every process of the group (the harness reads the worktree meanwhile); call the result to thaw. */
  freeze(group: string): Promise<() => Promise<void>>;
  /** Kills what is left of the group and removes its cgroups. */
  releaseGroup(group: string): Promise<void>;
}

export interface SandboxOptions {
  /** bubblewrap (the default) or, as an explicit opt-out, none. `auto` is bubblewrap (compatibility). */
  kind?: "bubblewrap" | "process" | "auto";
  /** The bwrap program (default: found in the system PATH). */
  bwrap?: string;
  maxOutputChars?: number;
  maxSavedBytes?: number;
  /** Extra read-write paths in every bubblewrap sandbox (the worktree, HOME and TMPDIR always are). */
  writablePaths?: string[];
  /** Extra read-only paths the operator shows every command (a toolchain outside /usr). */
  extraReadOnlyPaths?: string[];
  /** Paths no command may see, wherever they are: the app's data folder, key, .env, database. */
  protectedPaths?: string[];
  limits?: Partial<SandboxLimits>;
  /** The egress proxy every command with network goes through (egress-proxy.ts). */
  egress?: EgressOptions;
}

interface EgressOptions {
  /** Host names every command with network may reach: the machine's registries, the operator's. */
  allow?: readonly string[];
  /** How the proxy resolves names (default: the system's resolver). Tests map names to loopback. */
  resolve?: Resolver;
  /** "address:port" pairs reachable although their range is refused: tests' loopback registry only. */
  exempt?: readonly string[];
}

const PROCESS_WARNING =
  "Commands of this run ran WITHOUT a sandbox (STAMINA_SANDBOX=process): they could read and change everything the app's user can, including its keys and data, and reach any address on the network.";

export function createSandbox(opts: SandboxOptions = {}): Sandbox {
  const kind = opts.kind === "process" ? "process" : "bubblewrap";
  const bash = findExecutable("bash") ?? "bash";
  const bwrap = opts.bwrap ?? findExecutable("bwrap") ?? "bwrap";
  let system: MountOp[] = [];
  let privateTmpSized = false;
  if (kind === "bubblewrap") {
    // Without STAMINA_BWRAP the probe looks for bwrap itself, and says so when it is missing.
    const probe = probeSandbox(opts.bwrap === undefined ? {} : { bwrap });
    if (!probe.ok) throw new SandboxUnavailable(probe.reason, probe.remedy);
    privateTmpSized = sizesTmp(probe.bubblewrapVersion);
    system = hostSystemMounts({
      users: writeSandboxUsers(),
      extraReadOnlyPaths: opts.extraReadOnlyPaths ?? [],
    });
  }
  const limits = resolveLimits(opts.limits);
  const layout = cgroupLayout();
  const groups = new SandboxGroups(layout);
  const tools = {
    bash,
    env: findExecutable("env") ?? "/usr/bin/env",
    sh: findExecutable("sh") ?? "/bin/sh",
    prlimit: findExecutable("prlimit"),
    du: findExecutable("du"),
    socat: findExecutable("socat") ?? "socat",
  };
  const egress = egressProxies(opts.egress ?? {});
  const maxOutputChars = opts.maxOutputChars ?? 30_000;
  const maxSavedBytes = opts.maxSavedBytes ?? 64 * 1024 * 1024;
  let count = 0;

  const launch = async (req: LaunchRequest): Promise<LaunchSpec> => {
    if (req.group !== undefined) checkGroup(req.group);
    await mkdir(req.outputDir, { recursive: true });
    let inner: string[];
    let proxy: EgressProxy | null = null;
    if (kind === "process") {
      // env -i: the command gets exactly req.env, nothing the wrapper's shell adds (PWD).
      const assignments = Object.entries(req.env).map(([name, value]) => `${name}=${value}`);
      inner = [tools.env, "-i", ...assignments, bash, "-c", req.command];
    } else {
      // Bind sources must exist, and these are the run's own folders.
      for (const dir of [req.env.HOME, req.env.TMPDIR]) {
        if (dir !== undefined && isAbsolute(dir)) await mkdir(dir, { recursive: true });
      }
      if (req.network !== false) {
        proxy = await egress.start(req.network, req.command);
      }
      try {
        // bwrap sets the command's environment itself (--clearenv, --setenv).
        inner = [
          bwrap,
          ...bubblewrapArgs(system, bash, {
            command: req.command,
            cwd: req.cwd,
            env: req.env,
            // The probe checked socat is there.
            egress: proxy === null ? null : { socket: proxy.socketPath, socat: tools.socat },
            writablePaths: opts.writablePaths ?? [],
            readOnlyPaths: [req.outputDir],
            protectedPaths: opts.protectedPaths ?? [],
            tmpBytes: privateTmpSized ? limits.tmpBytes : null,
          }),
        ];
      } catch (error) {
        // A command that cannot be set up leaves no proxy listening.
        await proxy?.close();
        throw error;
      }
    }
    const watch = new LimitWatch({
      layout,
      groups,
      limits,
      group: req.group,
      worktree: req.cwd,
      du: tools.du,
      privateTmp: privateTmpSized,
    });
    const [file = "", ...args] = limitedCommand(tools, limits, watch.procsFiles, inner);
    const release = async () => {
      await watch.release();
      await proxy?.close();
    };
    return { file, args, env: {}, watch, release };
  };

  const collectOutput = (outputDir: string) => {
    count += 1;
    return new OutputCollector({
      maxOutputChars,
      maxSavedBytes,
      outputDir,
      stem: `${new Date().toISOString().replace(/[:.]/g, "-")}-${count}`,
    });
  };

  return {
    kind,
    warning: kind === "process" ? PROCESS_WARNING : null,
    limits,
    enforced: enforceable(layout.version !== "none", privateTmpSized),
    protectedPaths: [...(opts.protectedPaths ?? [])],
    launch,
    collectOutput,
    freeze: (group) => groups.freeze(group),
    releaseGroup: (group) => groups.release(group),
    run: (req) => runCommand(launch, collectOutput, req),
    async stream(req, onOutput) {
      const spec = await launch(req);
      try {
        return await runLaunched(spec, req, onOutput);
      } finally {
        await spec.release();
      }
    },
  };
}

/** A launched command run in its own process group, its pid given to its watch. */
function runLaunched(
  spec: LaunchSpec,
  req: CommandRequest,
  onOutput: (chunk: Buffer) => Promise<void> | undefined,
): Promise<GroupExit> {
  return runInProcessGroup({
    file: spec.file,
    args: spec.args,
    env: spec.env,
    cwd: req.cwd,
    timeoutMs: req.timeoutMs,
    signal: req.signal,
    onOutput,
    onSpawn: (pid) => spec.watch.started(pid),
  });
}

/** One command start to end: launched, its output collected, its limits read, its cgroup released. */
async function runCommand(
  launch: (req: LaunchRequest) => Promise<LaunchSpec>,
  collectOutput: (outputDir: string) => OutputCollector,
  req: CommandRequest,
): Promise<CommandResult> {
  const started = performance.now();
  if (req.signal?.aborted) {
    const collected = await collectOutput(req.outputDir).finish();
    const none = { exitCode: null, signal: null, timedOut: false, durationMs: 0, limit: null };
    return { ...none, aborted: true, ...collected };
  }
  const spec = await launch(req);
  const before = spec.watch.counters();
  const collector = collectOutput(req.outputDir);
  try {
    const exit = await runLaunched(spec, req, (chunk) => collector.push(chunk));
    const collected = await collector.finish();
    const limit = await spec.watch.check(before, { ...exit, output: collected.output });
    return {
      exitCode: exit.exitCode,
      signal: exit.signal,
      timedOut: exit.timedOut,
      aborted: exit.aborted,
      ...collected,
      durationMs: Math.round(performance.now() - started),
      limit,
    };
  } finally {
    await spec.release();
  }
}

/**
 * One egress proxy per command with network (so each blocked request is that command's), on a
 * Unix socket of its own, closed with the command.
 */
function egressProxies(opts: EgressOptions) {
  return {
    async start(grant: NetworkGrant, command: string): Promise<EgressProxy> {
      return startEgressProxy({
        socketPath: await nextSocketPath(),
        allow: [...(opts.allow ?? []), ...grant.allow],
        ...(opts.resolve ? { resolve: opts.resolve } : {}),
        ...(opts.exempt ? { exempt: opts.exempt } : {}),
        onBlocked: (blocked) => grant.onBlocked(blocked, command),
      });
    },
  };
}

let egressFolder: Promise<string> | null = null;
let egressSockets = 0;

/**
 * A new socket path in this process's folder for proxy sockets: short (a socket path has at
 * most 107 bytes), private, and numbered across every sandbox of the process, so no proxy
 * ever replaces another's socket.
 */
async function nextSocketPath(): Promise<string> {
  egressFolder ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "stamina-egress-"));
    await chmod(dir, 0o700);
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  })();
  egressSockets += 1;
  const n = egressSockets;
  return join(await egressFolder, `${n}.sock`);
}
