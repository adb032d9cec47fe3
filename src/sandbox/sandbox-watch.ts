// One sandboxed process's limits while it lives: the cgroup it joins before
// it execs (so nothing it starts escapes), the prlimit in front of it, and
// after each command the reading of counters, exit and worktree size that
// says which limit, if any, the command hit.
import { createCommandCgroup, type CgroupLayout, type CommandCgroup } from "./cgroup.ts";
import {
  limitHit,
  measureWorktree,
  prlimitArgs,
  tmpHit,
  worktreeHit,
  ZERO_COUNTERS,
  type CommandEnd,
  type LimitCounters,
  type LimitHit,
  type SandboxLimits,
} from "./limits.ts";
import { killQuietly } from "./process-tree.ts";
import type { SandboxGroups } from "./sandbox-groups.ts";

/**
 * Joins the cgroups (one `cgroup.procs` per hierarchy) and only then execs prlimit, which
 * execs the command: from its first instruction the command is inside its limits. A cgroup
 * it cannot join stops it (exit 125) rather than letting it run unlimited.
 */
const JOIN_THEN_EXEC =
  'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

export function limitedCommand(
  tools: { sh: string; prlimit: string | null },
  limits: SandboxLimits,
  procsFiles: string[],
  inner: string[],
): string[] {
  const limited =
    tools.prlimit === null ? inner : [...prlimitArgs(tools.prlimit, limits), ...inner];
  if (procsFiles.length === 0) return limited;
  return [tools.sh, "-c", JOIN_THEN_EXEC, "stamina-limits", ...procsFiles, "--", ...limited];
}

let made = 0;

export class LimitWatch {
  readonly group: string;
  /** Empty when no cgroup could be made: the process runs with prlimit's limits only. */
  readonly procsFiles: string[];
  private readonly cgroup: CommandCgroup | null;
  /** A command given no group has one of its own, released with it. */
  private readonly solo: boolean;
  private readonly pids = new Set<number>();
  private last: LimitCounters = ZERO_COUNTERS;
  private released = false;

  constructor(
    private readonly opts: {
      layout: CgroupLayout;
      groups: SandboxGroups;
      limits: SandboxLimits;
      group: string | undefined;
      worktree: string;
      du: string | null;
      privateTmp: boolean;
    },
  ) {
    made += 1;
    this.solo = opts.group === undefined;
    this.group = opts.group ?? `solo-${process.pid}-${made}`;
    let cgroup: CommandCgroup | null = null;
    if (opts.layout.version !== "none") {
      try {
        cgroup = createCommandCgroup(opts.layout, this.group, `c-${process.pid}-${made}`, {
          memory: opts.limits.memoryBytes,
          processes: opts.limits.processes,
          runMemory: opts.limits.runMemoryBytes,
          runProcesses: opts.limits.runProcesses,
        });
      } catch {
        cgroup = null; // not writable after all: prlimit's limits only (the probe says which apply)
      }
    }
    this.cgroup = cgroup;
    this.procsFiles = cgroup?.procsFiles ?? [];
  }

  /** The spawned process's pid: freeze and release find the group's processes through it. */
  started(pid: number): void {
    this.pids.add(pid);
    this.opts.groups.started(this.group, pid, this.cgroup !== null);
  }

  /** The counters now (after release: the last ones read). */
  counters(): LimitCounters {
    if (this.cgroup !== null && !this.released) this.last = this.cgroup.counters();
    return this.last;
  }

  /** The limit a command hit, from the counters since `before`, how it ended and the worktree's size. */
  async check(before: LimitCounters, end: CommandEnd): Promise<LimitHit | null> {
    const { limits } = this.opts;
    const hit =
      limitHit(limits, before, this.counters(), end) ??
      (this.opts.privateTmp ? tmpHit(limits, end) : null);
    if (hit !== null) return hit;
    if (this.opts.du === null) return null;
    return worktreeHit(limits, await measureWorktree(this.opts.du, this.opts.worktree));
  }

  /** Kills the processes of its cgroup not in `keep` (a shell's command that hit a limit), frozen meanwhile. */
  async killExcept(keep: Set<number>): Promise<boolean> {
    const cgroup = this.cgroup;
    if (cgroup === null || this.released) return false;
    const others = () => cgroup.members().filter((pid) => !keep.has(pid));
    // A process caught in fork() may show up only after the first pass: again, until none is left.
    for (let round = 0; round < 20 && others().length > 0; round++) {
      const frozen = await cgroup.setFrozen(true);
      for (let pass = 0; pass < 5; pass++) {
        const left = others();
        if (left.length === 0) break;
        for (const pid of left) killQuietly(pid);
      }
      if (frozen) await cgroup.setFrozen(false);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Killed processes hold their pids until they are reaped (orphans by init): wait for that,
    // up to 15 s, so the next command can fork. Outside a pid namespace the host's init reaps
    // them, and some inits poll (every 2 s seen in containers), slower still on a busy host.
    for (let i = 0; i < 750; i++) {
      const current = cgroup.pidsCurrent();
      if (current === null || current <= cgroup.members().length) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  /** After the process ended: kills what is left in its cgroup and removes it (a solo group too). */
  async release(): Promise<void> {
    if (this.released) return;
    this.counters();
    this.released = true;
    for (const pid of this.pids) this.opts.groups.ended(this.group, pid);
    await this.cgroup?.remove();
    if (this.solo) await this.opts.groups.release(this.group);
  }
}
