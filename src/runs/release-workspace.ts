// When an attempt of a run settles (finished, failed, stopped, handed back):
// its worktree leaves the repository's mirror, its HOME and TMPDIR go (the
// saved outputs of truncated commands stay), and the mirror cache is brought
// back under its disk cap. A later attempt rebuilds its worktree from the
// step checkpoint, so nothing here is needed again. Failures are logged and
// never change how the run ended.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../observability/logger.ts";
import { enforceCacheCap } from "../workspace/cache-cap.ts";
import { releaseWorktree } from "../workspace/mirror.ts";
import { attemptRoot } from "./run-directories.ts";
import type { Run } from "../store/types.ts";

export async function releaseWorkspace(opts: {
  dataDir: string;
  /** The run as claimed: whose attempt this was. */
  run: Pick<Run, "id" | "owner" | "repo" | "attempts">;
  /** The mirror cache's cap; no eviction when unset. */
  maxBytes: number | undefined;
  log: Logger;
}): Promise<void> {
  const { run, log } = opts;
  const root = attemptRoot(opts.dataDir, run.id, run.attempts);
  try {
    await releaseWorktree(opts.dataDir, run.owner, run.repo, join(root, "worktree"));
    await Promise.all(
      ["home", "tmp"].map((d) => rm(join(root, d), { recursive: true, force: true })),
    );
  } catch (error) {
    log.warn({ err: error }, "could not remove the run's worktree");
  }
  if (opts.maxBytes === undefined) return;
  try {
    const evicted = await enforceCacheCap(opts.dataDir, opts.maxBytes);
    if (evicted.length > 0)
      log.info({ evicted }, "repository mirrors evicted to fit the cache cap");
  } catch (error) {
    log.warn({ err: error }, "could not bring the repository cache under its cap");
  }
}
