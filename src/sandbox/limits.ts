// The sandbox's resource limits: their defaults, the prlimit arguments for
// the per-process ones (CPU time, file size), and how a command's end is read
// as a limit it hit, with a message for the model that says what to do.
import { execFile } from "node:child_process";

export interface SandboxLimits {
  /** Memory of one command and everything it starts (cgroup). */
  memoryBytes: number;
  /** Processes and threads of one command at once (cgroup). */
  processes: number;
  /** CPU seconds of each process (RLIMIT_CPU: SIGXCPU, then SIGKILL 5 s later). */
  cpuSeconds: number;
  /** Largest file a process may write (RLIMIT_FSIZE: SIGXFSZ). */
  fileSizeBytes: number;
  /** Size of the private /tmp (bubblewrap only). */
  tmpBytes: number;
  /** The worktree's size on disk, checked after each command. */
  worktreeMaxBytes: number;
  /** Memory of all commands of one run (a `group`) together (cgroup). */
  runMemoryBytes: number;
  /** Processes of all commands of one run together (cgroup). */
  runProcesses: number;
}

const GiB = 1024 ** 3;

export const DEFAULT_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  memoryBytes: 4 * GiB,
  processes: 1024,
  cpuSeconds: 2 * 60 * 60,
  fileSizeBytes: 8 * GiB,
  tmpBytes: 2 * GiB,
  worktreeMaxBytes: 20 * GiB,
  runMemoryBytes: 8 * GiB,
  runProcesses: 4096,
});

export type LimitName = "memory" | "processes" | "cpu" | "file-size" | "tmp" | "worktree";

export interface LimitHit {
  limit: LimitName;
  /** For the model: what happened and what to do instead. */
  message: string;
}

/** The cgroup counters a limit hit shows in; compared before and after a command. */
export interface LimitCounters {
  /** Processes the OOM killer killed in the command's or the run's cgroup. */
  oomKills: number;
  /** Forks the command's or the run's pids limit refused. */
  pidsMax: number;
  /** Whether the command reached its own memory limit (else it was the run's). */
  ownMemoryLimit: boolean;
  /** Whether the command reached its own process limit (else it was the run's). */
  ownProcessLimit: boolean;
}

export const ZERO_COUNTERS: Readonly<LimitCounters> = Object.freeze({
  oomKills: 0,
  pidsMax: 0,
  ownMemoryLimit: true,
  ownProcessLimit: true,
});

const RUN_SCOPE = "for all commands of this run together";

/** The grace between RLIMIT_CPU's soft limit (SIGXCPU, which we can tell) and the hard one. */
const CPU_GRACE_SECONDS = 5;

export function prlimitArgs(prlimit: string, limits: SandboxLimits): string[] {
  const cpu = Math.max(1, Math.floor(limits.cpuSeconds));
  const fsize = Math.max(0, Math.floor(limits.fileSizeBytes));
  return [prlimit, `--cpu=${cpu}:${cpu + CPU_GRACE_SECONDS}`, `--fsize=${fsize}:${fsize}`, "--"];
}

export function resolveLimits(given: Partial<SandboxLimits> | undefined): SandboxLimits {
  const limits = { ...DEFAULT_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`The sandbox limit ${name} must be a positive number, not ${value}.`);
    }
  }
  return limits;
}

function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

export interface CommandEnd {
  exitCode: number | null;
  signal: string | null;
  output: string;
}

/** The limit a command hit, judged from the counters' change and how it ended; null: none. */
export function limitHit(
  limits: SandboxLimits,
  before: LimitCounters,
  after: LimitCounters,
  end: CommandEnd,
): LimitHit | null {
  if (after.oomKills > before.oomKills) {
    return after.ownMemoryLimit
      ? memoryHit(limits.memoryBytes, "per command")
      : memoryHit(limits.runMemoryBytes, RUN_SCOPE);
  }
  if (after.pidsMax > before.pidsMax) {
    const [count, scope] = after.ownProcessLimit
      ? [limits.processes, "per command"]
      : [limits.runProcesses, RUN_SCOPE];
    return {
      limit: "processes",
      message: `The command could not start more processes: it reached the sandbox's limit of ${count} processes (${scope}); programs that could not fork failed. Run fewer things in parallel (fewer jobs or workers) and try again.`,
    };
  }
  // A process killed by SIGXCPU (24) or SIGXFSZ (25): bwrap and shells report 128 + the signal,
  // and bash names the signal when one of its jobs died of it.
  if (
    end.signal === "SIGXCPU" ||
    end.exitCode === 152 ||
    end.output.includes("CPU time limit exceeded")
  ) {
    return {
      limit: "cpu",
      message: `The command was killed: a process used ${limits.cpuSeconds} s of CPU time, the sandbox's limit per process. Look for an endless loop, or run a smaller piece of the work.`,
    };
  }
  if (
    end.signal === "SIGXFSZ" ||
    end.exitCode === 153 ||
    end.output.includes("File size limit exceeded")
  ) {
    return {
      limit: "file-size",
      message: `The command was killed: it wrote a file past ${formatBytes(limits.fileSizeBytes)}, the sandbox's largest file size. The file is cut at that size; write less (a smaller log, a sample of the data).`,
    };
  }
  return null;
}

/**
 * /tmp full. Only the command's own words tell (the tmpfs is gone with the sandbox), so this
 * is a hint, reported only for a failed command that printed ENOSPC's message.
 */
export function tmpHit(limits: SandboxLimits, end: CommandEnd): LimitHit | null {
  if (end.exitCode === 0 || !end.output.includes("No space left on device")) return null;
  return {
    limit: "tmp",
    message: `The command ran out of space ("No space left on device"). The sandbox's /tmp holds ${formatBytes(limits.tmpBytes)}; write large files under $TMPDIR or the worktree instead, and delete what you no longer need.`,
  };
}

function memoryHit(bytes: number, scope: string): LimitHit {
  return {
    limit: "memory",
    message: `The command was killed: it reached the sandbox's memory limit of ${formatBytes(bytes)} (${scope}). Use less memory (fewer parallel jobs, smaller test shards) and try again.`,
  };
}

/**
 * The worktree's size on disk: `du -sx --block-size=1` counts allocated blocks, which is
 * what fills a disk (a sparse file's apparent size does not; RLIMIT_FSIZE bounds those), stays
 * on the worktree's file system and follows no symlink. Null when du fails or takes too long.
 */
export function measureWorktree(du: string, path: string): Promise<number | null> {
  return new Promise((resolve) => {
    execFile(du, ["-sx", "--block-size=1", path], { timeout: 30_000, env: {} }, (error, out) => {
      // du exits 1 when some entry was unreadable; its total is still the best measure.
      const bytes = Number(/^(\d+)/.exec(out)?.[1]);
      resolve(Number.isFinite(bytes) && (error === null || out.length > 0) ? bytes : null);
    });
  });
}

export function worktreeHit(limits: SandboxLimits, bytes: number | null): LimitHit | null {
  if (bytes === null || bytes <= limits.worktreeMaxBytes) return null;
  return {
    limit: "worktree",
    message: `The worktree now takes ${formatBytes(bytes)}, past the sandbox's limit of ${formatBytes(limits.worktreeMaxBytes)}. Delete the large files or build outputs you created before going on.`,
  };
}
