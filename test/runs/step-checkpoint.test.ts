// The step checkpoint on the watched working tree: a change a background
// process made between two steps is in the next checkpoint; a step that
// changed nothing writes no diff (the last one is kept); a diff past the cap
// fails the run with words a maintainer can act on, without being read.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createRedactor } from "../../src/observability/redact.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";
import { RunFailure } from "../../src/runs/failure.ts";
import { RunControl } from "../../src/runs/run-control.ts";
import { createStepCheckpointer } from "../../src/runs/step-checkpoint.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import type { CheckpointInput } from "../../src/store/types.ts";
import { initialSnapshot } from "../../src/agent/snapshot.ts";
import { WorkingTree } from "../../src/workspace/working-tree.ts";
import { fixtureGit, removeTempDirs, tempDir } from "../workspace/helpers.ts";

afterAll(removeTempDirs);
const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0)) await close();
});

async function world(maxDiffBytes?: number) {
  const dir = tempDir("stamina-checkpoint-");
  const worktree = join(dir, "worktree");
  fixtureGit(dir, "init", "--quiet", worktree);
  writeFileSync(join(worktree, "a.txt"), "one\n");
  fixtureGit(worktree, "add", "--all");
  fixtureGit(worktree, "commit", "--quiet", "-m", "base");
  const baseSha = fixtureGit(worktree, "rev-parse", "HEAD").trim();
  const store = await openStore({
    sqlitePath: join(dir, "stamina.db"),
    redactor: createRedactor([]),
  });
  const tree = await WorkingTree.open(worktree);
  closing.push(
    () => tree.close(),
    () => store.close(),
  );
  const created = await store.runs.create({
    installationId: 1,
    owner: "octo",
    repo: "demo",
    issueNumber: 1,
    issueTitle: "Change a.txt",
    issueBody: "",
    requestedBy: "octo",
    deliveryId: "delivery-1",
    config: parseRepoConfig({}),
  });
  if (!created.created) throw new Error("the run was not queued");
  await store.leases.claimNext("w", 60_000);
  await store.runs.update(created.run.id, { baseSha });
  // The store as it is, each save it is asked for noted on the way through.
  const saved: CheckpointInput[] = [];
  const noting: Store = {
    ...store,
    checkpoints: {
      load: (id) => store.checkpoints.load(id),
      save: async (id, worker, input) => {
        saved.push(input);
        await store.checkpoints.save(id, worker, input);
      },
    } as Store["checkpoints"],
  } as Store;
  const checkpoint = createStepCheckpointer({
    store: noting,
    runId: created.run.id,
    workerId: "w",
    tree,
    control: new RunControl(new AbortController().signal),
    ...(maxDiffBytes === undefined ? {} : { maxDiffBytes }),
  });
  const step = (n: number) =>
    checkpoint({ step: n, added: [], state: initialSnapshot(), touched: false });
  const stored = async () => (await store.checkpoints.load(created.run.id))?.diff.toString() ?? "";
  return { worktree, tree, saved, step, stored };
}

describe("the step checkpoint", () => {
  it("holds a change a background process made after the last step", async () => {
    const w = await world();
    writeFileSync(join(w.worktree, "a.txt"), "two\n");
    await w.step(1);
    expect(await w.stored()).toContain("+two");
    // A job left running by a step writes after that step's checkpoint.
    const job = spawn("sh", ["-c", "sleep 0.3; echo late > late.txt"], { cwd: w.worktree });
    const done = new Promise((resolve) => job.on("exit", resolve));
    await w.step(2);
    expect(await w.stored()).not.toContain("late.txt");
    await done;
    await w.step(3);
    expect(await w.stored()).toContain("+++ b/late.txt");
    expect(await w.stored()).toContain("+two");
  });

  it("writes no diff for a step that changed nothing, and keeps the last one", async () => {
    const w = await world();
    writeFileSync(join(w.worktree, "a.txt"), "two\n");
    await w.step(1);
    await w.step(2);
    await w.step(3);
    expect(w.saved.map((s) => s.diff === null)).toEqual([false, true, true]);
    expect(w.tree.looks.narrow + w.tree.looks.full).toBe(1);
    expect(await w.stored()).toContain("+two");
    writeFileSync(join(w.worktree, "a.txt"), "three\n");
    await w.step(4);
    expect(w.saved[3]?.diff?.toString()).toContain("+three");
    expect(await w.stored()).toContain("+three");
  });

  it("fails the run, naming the way out, when the diff grows past the cap", async () => {
    const w = await world(4_096);
    writeFileSync(join(w.worktree, "build-output.txt"), "x".repeat(10_000));
    const error = await w.step(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailure);
    expect((error as Error).message).toMatch(/past 4096 bytes.*\.gitignore/);
    expect(w.saved).toHaveLength(0);
  });
});
