// The mirror's lock across processes: one holder at a time, a wait that ends
// in a clear timeout, and a lock left by a process that died taken over.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LockTimeout, withRepoLock } from "../../src/workspace/repo-lock.ts";
import { removeTempDirs, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

describe("withRepoLock", () => {
  it("lets one holder in at a time", async () => {
    const lock = join(tempDir(), "repo.lock");
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withRepoLock(lock, { timeoutMs: 10_000 }, async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setTimeout(resolve, 20));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it("gives up with a clear error while a live process holds it", async () => {
    const lock = join(tempDir(), "repo.lock");
    mkdirSync(lock);
    writeFileSync(join(lock, "owner"), `${hostname()} ${process.pid}\n`);
    const error = await withRepoLock(lock, { timeoutMs: 100 }, () => Promise.resolve()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LockTimeout);
    expect((error as Error).message).toMatch(/held the repository cache lock .* for more than/);
  });

  it("takes over a lock whose holder died", async () => {
    const lock = join(tempDir(), "repo.lock");
    // A pid that existed and is gone now.
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    mkdirSync(lock);
    writeFileSync(join(lock, "owner"), `${hostname()} ${dead}\n`);
    expect(await withRepoLock(lock, { timeoutMs: 1_000 }, () => Promise.resolve("mine"))).toBe(
      "mine",
    );
  });
});
