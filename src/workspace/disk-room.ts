// Room on the disk the run's workspace lives on. A step that ran while that disk was full (a
// command's output cut short, a file half written) is not the work the model asked for: it is
// not checkpointed, and the run waits for the operators to free space (runs/operator-settings.ts)
// instead of going on with it. Git and Node's own writes that fail for want of space say so too.
import { statfs } from "node:fs/promises";
import { GitError } from "./git-run.ts";

/** Below this much free space the disk counts as full: no build or checkpoint fits in less. */
const DISK_FLOOR_BYTES = 8 * 1024 * 1024;

class DiskFull extends Error {
  constructor(
    readonly dir: string,
    readonly freeBytes: number,
  ) {
    super(`the disk of ${dir} is full (${Math.floor(freeBytes / 1024)} KB free)`);
    this.name = "DiskFull";
  }
}

/** Throws DiskFull when the disk holding `dir` has less than `floor` bytes free for us. */
export async function ensureDiskRoom(dir: string, floor = DISK_FLOOR_BYTES): Promise<void> {
  const { bavail, bsize } = await statfs(dir);
  const free = Number(bavail) * Number(bsize);
  if (free < floor) throw new DiskFull(dir, free);
}

/** Whether `error` itself is a write that failed for want of space (not its causes). */
export function isDiskFull(error: Error): boolean {
  if (error instanceof DiskFull) return true;
  if ((error as NodeJS.ErrnoException).code === "ENOSPC") return true;
  return (
    error instanceof GitError &&
    /no space left on device/i.test(`${error.message}\n${error.stderr}`)
  );
}
