// Signals for a persistent shell's processes: interrupting one command (as
// Ctrl-C would, then by force) while the shell lives on, and ending the shell
// with everything it started.
import { allProcesses, descendantsOf, killQuietly } from "./process-tree.ts";

/** What is known of a live shell's processes. */
export interface ShellProcesses {
  /** The process spawned: bwrap, or the shell itself without bubblewrap. */
  pid: number;
  /** The shell's own pid on the host; null if it could not be found. */
  shellPid: number | null;
  /** Process groups and sessions seen below the shell (background jobs lead groups of their own). */
  groups: Set<number>;
  sessions: Set<number>;
}

/**
 * Signals the processes a command started (those not alive before it) with their process
 * groups, then the shell, so its trap ends the command.
 */
export function interrupt(
  live: ShellProcesses,
  ownPids: Set<number>,
  ownGroups: Set<number>,
  signal: "SIGINT" | "SIGKILL",
): void {
  // A few passes: a process may fork while we look.
  for (let pass = 0; pass < 3; pass++) {
    const fresh = descendantsOf(live.pid).filter((p) => !ownPids.has(p.pid));
    if (fresh.length === 0) break;
    for (const p of fresh) {
      if (!ownGroups.has(p.pgid)) killQuietly(-p.pgid, signal);
      killQuietly(p.pid, signal);
    }
    if (signal === "SIGINT") break;
  }
  if (live.shellPid !== null) killQuietly(live.shellPid, "SIGINT");
}

/**
 * The shell, its background jobs (in groups of their own) and everything below them. Without
 * bubblewrap's pid namespace an orphaned job has left the tree: it is found by the group and
 * session it kept, which are ours while they have members (their ids cannot be reused before).
 */
export function killTree(live: ShellProcesses): void {
  const processes = allProcesses();
  const below = new Set(descendantsOf(live.pid, processes).map((p) => p.pid));
  for (const p of processes) {
    const ours = below.has(p.pid) || (live.sessions.has(p.sid) && live.groups.has(p.pgid));
    if (!ours) continue;
    killQuietly(-p.pgid);
    killQuietly(p.pid);
  }
  killQuietly(-live.pid);
}
