// The command runner every agent and setup command goes through: bubblewrap
// where the host allows it, a bare process group otherwise, with the same
// limits either way (exact environment, timeout, abort, bounded output).
import { mkdir } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { performance } from "node:perf_hooks";
import { bubblewrapArgs, bubblewrapUsable, hostSystemArgs } from "./bubblewrap.ts";
import { findExecutable } from "./env.ts";
import { OutputCollector } from "./output.ts";
import { runInProcessGroup } from "./process-group.ts";

export { commandEnvironment } from "./env.ts";

export interface CommandRequest {
  /** Run by `bash -c`: the command is the model's, so a shell is intended. */
  command: string;
  cwd: string;
  timeoutMs: number;
  network: boolean;
  /** The command's whole environment: nothing else is added (see commandEnvironment). */
  env: Record<string, string>;
  /** Where the full output of a truncated command is saved; readable inside the sandbox. */
  outputDir: string;
  signal?: AbortSignal;
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
  /** Set only when the output was truncated: the file with the whole output (up to maxSavedBytes). */
  fullOutputPath: string | null;
}

/** What it takes to start a command in the sandbox, for a process the caller keeps (a shell). */
type LaunchRequest = Omit<CommandRequest, "timeoutMs" | "signal">;

/** The program, arguments and environment that start a LaunchRequest's command sandboxed. */
interface LaunchSpec {
  file: string;
  args: string[];
  env: Record<string, string>;
}

export interface Sandbox {
  readonly kind: "bubblewrap" | "process";
  run(req: CommandRequest): Promise<CommandResult>;
  /** Spawn it in its own process group (detached), with no stdio inherited. */
  launch(req: LaunchRequest): Promise<LaunchSpec>;
  /** A collector for one command's output, with this sandbox's limits and a file name of its own. */
  collectOutput(outputDir: string): OutputCollector;
}

export interface SandboxOptions {
  /** `auto` picks bubblewrap when it can start a sandbox here; the caller should warn otherwise. */
  kind?: "bubblewrap" | "process" | "auto";
  maxOutputChars?: number;
  maxSavedBytes?: number;
  /** Extra read-write paths in every bubblewrap sandbox (the worktree, HOME and TMPDIR always are). */
  writablePaths?: string[];
}

export function createSandbox(opts: SandboxOptions = {}): Sandbox {
  const bash = findExecutable("bash") ?? "bash";
  const bwrap = findExecutable("bwrap") ?? "bwrap";
  const wanted = opts.kind ?? "auto";
  const usable = wanted === "process" ? false : bubblewrapUsable(bwrap, bash);
  if (wanted === "bubblewrap" && !usable) {
    throw new Error(
      "The bubblewrap sandbox was requested but cannot start here: install bubblewrap (`bwrap`) and allow unprivileged user namespaces, or choose the process sandbox.",
    );
  }
  const kind = usable ? "bubblewrap" : "process";
  const system = usable ? hostSystemArgs() : [];
  const maxOutputChars = opts.maxOutputChars ?? 30_000;
  const maxSavedBytes = opts.maxSavedBytes ?? 64 * 1024 * 1024;
  let count = 0;

  const launch = async (req: LaunchRequest): Promise<LaunchSpec> => {
    await mkdir(req.outputDir, { recursive: true });
    if (kind === "process") return { file: bash, args: ["-c", req.command], env: req.env };
    // Bind sources must exist, and these are the run's own folders.
    for (const dir of [req.env.HOME, req.env.TMPDIR]) {
      if (dir !== undefined && isAbsolute(dir)) await mkdir(dir, { recursive: true });
    }
    const args = bubblewrapArgs(system, bash, {
      command: req.command,
      cwd: req.cwd,
      env: req.env,
      network: req.network,
      writablePaths: opts.writablePaths ?? [],
      readOnlyPaths: [req.outputDir],
    });
    // bwrap sets the command's environment itself (--clearenv, --setenv).
    return { file: bwrap, args, env: {} };
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
    launch,
    collectOutput,
    async run(req) {
      const started = performance.now();
      const spec = await launch(req);
      const collector = collectOutput(req.outputDir);
      const exit = await runInProcessGroup({
        ...spec,
        cwd: req.cwd,
        timeoutMs: req.timeoutMs,
        signal: req.signal,
        onOutput: (chunk) => collector.push(chunk),
      });
      const collected = await collector.finish();
      return {
        exitCode: exit.exitCode,
        signal: exit.signal,
        timedOut: exit.timedOut,
        aborted: exit.aborted,
        ...collected,
        durationMs: Math.round(performance.now() - started),
      };
    },
  };
}
