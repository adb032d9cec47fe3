// The processes below a given one, read from /proc: what a persistent shell
// has started, so a command that runs too long can be killed without killing
// the shell that holds the run's working directory and variables.
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Session id: a pid cannot be reused while its session or group still has members. */
  sid: number;
}

/** Every live process on the host (Linux /proc); processes that end while we look are skipped. */
export function allProcesses(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // the process ended between readdir and read
    }
    // `pid (comm) state ppid pgrp ...`: comm may hold spaces and parentheses, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const state = fields[0];
    if (state === "Z" || state === "X") continue; // already dead, only waiting to be reaped
    found.push({
      pid: Number(entry),
      ppid: Number(fields[1]),
      pgid: Number(fields[2]),
      sid: Number(fields[3]),
    });
  }
  return found;
}

/** The live descendants of `root` (not `root` itself), parents before children. */
export function descendantsOf(root: number, processes = allProcesses()): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const p of processes) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const result: ProcessInfo[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      result.push(child);
      queue.push(child.pid);
    }
  }
  return result;
}

/** The pid a process has in its own (innermost) pid namespace, as `$$` shows it there. */
export function innermostPid(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const line = /^NSpid:\s*(.*)$/m.exec(status)?.[1];
    const inner = line?.trim().split(/\s+/).at(-1);
    return inner === undefined ? null : Number(inner);
  } catch {
    return null;
  }
}

/** Sends a signal (SIGKILL unless told) to a process or, with a negative id, a process group; gone already is fine. */
export function killQuietly(id: number, signal: NodeJS.Signals = "SIGKILL"): void {
  try {
    process.kill(id, signal);
  } catch (error) {
    // ESRCH: already gone, which is the goal. EPERM: a member we may not signal.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ESRCH" && code !== "EPERM") throw error;
  }
}
