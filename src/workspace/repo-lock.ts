// A lock on one repository's mirror, held across processes on this machine
// (several workers share the data directory): a directory created atomically,
// with the holder's pid inside, taken over when that process is gone.
import { hostname } from "node:os";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const POLL_MS = 25;
/** A lock directory with no owner written this long after it was made was left by a crash. */
const UNWRITTEN_MS = 30_000;

export class LockTimeout extends Error {
  override name = "LockTimeout";
}

/**
 * Runs `fn` while holding the lock at `path`. Waits for another holder up to `timeoutMs`;
 * a holder whose process no longer exists (it crashed) is replaced.
 */
export async function withRepoLock<T>(
  path: string,
  opts: { timeoutMs: number; signal?: AbortSignal },
  fn: () => Promise<T>,
): Promise<T> {
  await acquire(path, opts);
  try {
    return await fn();
  } finally {
    await rm(path, { recursive: true, force: true });
  }
}

async function acquire(path: string, opts: { timeoutMs: number; signal?: AbortSignal }) {
  await mkdir(dirname(path), { recursive: true });
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      await mkdir(path);
      await writeFile(join(path, "owner"), `${hostname()} ${process.pid}\n`);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (await heldByDeadProcess(path)) {
      // Renamed away first, so two waiters that both saw it stale do not both take it.
      const stale = `${path}.stale-${process.pid}-${Date.now()}`;
      try {
        await rename(path, stale);
        await rm(stale, { recursive: true, force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new LockTimeout(
        `another run held the repository cache lock ${path} for more than ${Math.round(opts.timeoutMs / 1000)} s`,
      );
    }
    await sleep(POLL_MS, undefined, { signal: opts.signal });
  }
}

/** True only when the lock names a process of this machine that no longer runs. */
async function heldByDeadProcess(path: string): Promise<boolean> {
  let owner: string;
  try {
    owner = await readFile(join(path, "owner"), "utf8");
  } catch {
    // Created a moment ago and not yet written, or just released; or its maker died between.
    const made = await stat(path).then(
      (s) => s.mtimeMs,
      () => Date.now(),
    );
    return Date.now() - made > UNWRITTEN_MS;
  }
  const [host, pid] = owner.trim().split(" ");
  if (host !== hostname() || pid === undefined) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
