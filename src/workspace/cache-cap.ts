// The disk cap of the mirror cache: when the mirrors together pass it, the
// least recently used ones with no run's worktree in them are removed (the
// next run of such a repository makes its mirror again). A mirror another
// process holds the lock of is busy, and skipped.
import { existsSync } from "node:fs";
import { lstat, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { runGit } from "./git-run.ts";
import { lastUsedMark, listWorktrees } from "./mirror.ts";
import { LockTimeout, withRepoLock } from "./repo-lock.ts";

export interface CachedMirror {
  dir: string;
  lock: string;
  bytes: number;
  lastUsed: number;
}

/** The mirrors under the data directory, with their size on disk and when a run last used them. */
export async function listMirrors(dataDir: string): Promise<CachedMirror[]> {
  const root = join(dataDir, "mirrors");
  const mirrors: CachedMirror[] = [];
  for (const owner of await entries(root)) {
    for (const name of await entries(join(root, owner))) {
      if (!name.endsWith(".git")) continue;
      const dir = join(root, owner, name);
      const used = await stat(lastUsedMark(dir)).catch(() => stat(dir));
      mirrors.push({
        dir,
        lock: `${dir.slice(0, -".git".length)}.lock`,
        bytes: await diskBytes(dir),
        lastUsed: used.mtimeMs,
      });
    }
  }
  return mirrors;
}

/**
 * Removes least recently used idle mirrors until the cache fits in `maxBytes`. Returns the
 * mirrors removed; the cache can stay over the cap when every mirror left is in use.
 */
export async function enforceCacheCap(dataDir: string, maxBytes: number): Promise<string[]> {
  const mirrors = await listMirrors(dataDir);
  let total = mirrors.reduce((sum, m) => sum + m.bytes, 0);
  const evicted: string[] = [];
  for (const mirror of mirrors.sort((a, b) => a.lastUsed - b.lastUsed)) {
    if (total <= maxBytes) break;
    if (await evictIfIdle(mirror)) {
      total -= mirror.bytes;
      evicted.push(mirror.dir);
    }
  }
  return evicted;
}

async function evictIfIdle(mirror: CachedMirror): Promise<boolean> {
  try {
    return await withRepoLock(mirror.lock, { timeoutMs: 0 }, async () => {
      if (!existsSync(mirror.dir)) return false;
      // Worktrees whose folders are gone do not count; one that is there is a run's.
      await runGit(["worktree", "prune"], { cwd: mirror.dir });
      if ((await listWorktrees(mirror.dir)).length > 0) return false;
      await rm(mirror.dir, { recursive: true, force: true });
      return true;
    });
  } catch (error) {
    if (error instanceof LockTimeout) return false;
    throw error;
  }
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** Bytes the files under `dir` take on disk (blocks, as `du` counts them). */
async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true }).catch(() => [])) {
    const info = await lstat(join(dir, entry)).catch(() => undefined);
    if (info?.isFile()) total += info.blocks * 512;
  }
  return total;
}
