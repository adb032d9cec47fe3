// The command runner every agent and setup command goes through: bubblewrap
// where the host allows it, a bare process group otherwise, with the same
// limits either way (exact environment, timeout, abort, bounded output).
import { accessSync, constants } from "node:fs";
import { mkdir } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { performance } from "node:perf_hooks";
import { bubblewrapArgs, bubblewrapUsable, hostSystemArgs } from "./bubblewrap.ts";
import { SYSTEM_PATH } from "./env.ts";
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

export interface CommandResult {
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

export interface Sandbox {
  readonly kind: "bubblewrap" | "process";
  run(req: CommandRequest): Promise<CommandResult>;
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

  return {
    kind,
    async run(req) {
      const started = performance.now();
      await mkdir(req.outputDir, { recursive: true });
      count += 1;
      const collector = new OutputCollector({
        maxOutputChars,
        maxSavedBytes,
        outputDir: req.outputDir,
        stem: `${new Date().toISOString().replace(/[:.]/g, "-")}-${count}`,
      });
      let file = bash;
      let args = ["-c", req.command];
      if (kind === "bubblewrap") {
        // Bind sources must exist, and these are the run's own folders.
        for (const dir of [req.env.HOME, req.env.TMPDIR]) {
          if (dir !== undefined && isAbsolute(dir)) await mkdir(dir, { recursive: true });
        }
        file = bwrap;
        args = bubblewrapArgs(system, bash, {
          command: req.command,
          cwd: req.cwd,
          env: req.env,
          network: req.network,
          writablePaths: opts.writablePaths ?? [],
          readOnlyPaths: [req.outputDir],
        });
      }
      const exit = await runInProcessGroup({
        file,
        args,
        cwd: req.cwd,
        env: kind === "bubblewrap" ? {} : req.env,
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

/** Looked up in the system PATH, so the same bash runs inside and outside the sandbox. */
function findExecutable(name: string): string | null {
  for (const dir of SYSTEM_PATH.split(":")) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return null;
}
