// Memory of a group of processes and everything they started (git, shells, the sandbox's
// commands), as Linux counts it: the resident set (VmRSS in /proc/PID/status) of each, summed.
import { readdirSync, readFileSync } from "node:fs";

const MB = 1024 * 1024;

/** The resident memory of `roots` and all their descendants, now, in MB (0 for gone ones). */
export function treeRssMb(roots: readonly number[]): number {
  let kb = 0;
  for (const pid of descendants(roots)) kb += statusKb(pid, "VmRSS");
  return (kb * 1024) / MB;
}

/**
 * Samples treeRssMb(roots()) every `everyMs` until stopped; stop() gives the largest sample, in
 * MB (a peak between two samples is missed, so it is a lower bound by what `everyMs` lets pass).
 */
export function sampleTreeRss(
  roots: () => readonly number[],
  everyMs: number,
): { stop(): { peakMb: number; samples: number } } {
  let peakMb = 0;
  let samples = 0;
  const sample = () => {
    peakMb = Math.max(peakMb, treeRssMb(roots()));
    samples++;
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakMb, samples };
    },
  };
}

/**
 * `roots` and every process whose chain of parents leads to one of them, walked down through
 * /proc/PID/task/TID/children (each thread's children), so only the tree is read.
 */
function descendants(roots: readonly number[]): number[] {
  const found = new Set<number>();
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (found.has(pid)) continue;
    found.add(pid);
    for (const task of list(`/proc/${pid}/task`)) {
      const children = read(`/proc/${pid}/task/${task}/children`) ?? "";
      for (const child of children.split(" ")) if (child !== "") queue.push(Number(child));
    }
  }
  return [...found];
}

/** A `kB` line of /proc/PID/status (VmRSS, VmHWM); 0 when the process is gone or has none. */
function statusKb(pid: number, field: string): number {
  const status = read(`/proc/${pid}/status`);
  const match =
    status === undefined ? null : new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return match ? Number(match[1]) : 0;
}

/** The entries of a folder of /proc, none when its process ended meanwhile. */
function list(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** A file of /proc, or undefined when its process ended meanwhile. */
function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
