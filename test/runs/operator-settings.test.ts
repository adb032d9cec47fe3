// A run whose model refuses the operators' key is kept, not failed: back in the queue without
// spending a retry, the issue told why and that nothing is lost, the worker told to stop
// claiming a while; once the key works, it goes on and finishes. Against the fake GitHub and
// the scripted model, which refuses a wrong key with the API's own 401.
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Worker } from "../../src/runs/worker.ts";
import { waitFor } from "../support/webhooks.ts";
import { createAnthropicModel } from "../../src/model/anthropic.ts";
import type { OperatorProblem } from "../../src/runs/operator-settings.ts";
import { OPERATOR_RECHECK_MS } from "../../src/runs/settle-run.ts";
import { editFile, reply, text } from "../support/model-server/index.ts";
import { byStep, startHarness, type Harness } from "../support/run-harness.ts";

const FILES = { "a.txt": "one\n", "check.sh": "grep -q two a.txt\n" };
const CONFIG = { test: "sh check.sh" };
const STEPS = [
  reply(editFile("a.txt", "one", "two")),
  reply(text("Made it two.")),
  reply(text("a.txt says two.")),
];

let h: Harness;
beforeEach(async () => {
  h = await startHarness(FILES);
});
afterEach(() => h.close());

describe("a run the operators' settings stop", () => {
  it("is kept in the queue, said on the issue, and finishes once the key works", async () => {
    await h.queue(CONFIG, 1);
    const server = await h.model(byStep(STEPS));
    const told: OperatorProblem[] = [];
    const kept = await h.execute(
      await h.claim(),
      {},
      {
        createModel: (id) =>
          createAnthropicModel({
            apiKey: "sk-ant-revoked-key-0000000000000000",
            baseURL: server.url,
            model: id,
            maxRetries: 0,
          }),
        modelCredentials: "ANTHROPIC_API_KEY",
        onOperatorProblem: (problem) => told.push(problem),
      },
    );
    expect(kept).toMatchObject({ state: "queued", retries: 0, outcome: null });
    expect(told).toEqual([
      {
        setting: "ANTHROPIC_API_KEY",
        problem: "the model's API refused Stamina's credentials (401); check ANTHROPIC_API_KEY",
      },
    ]);
    const comment = h.comment();
    expect(comment).toContain(
      "⏳ Stamina is waiting for its operators: the model's API refused Stamina's credentials (401); check ANTHROPIC_API_KEY.",
    );
    expect(comment).toContain("Nothing is lost: the run stays in the queue");
    expect(comment).not.toContain("sk-ant-revoked");
    const events = await h.store.audit.events(kept.id);
    const released = events.filter((e) => e.type === "run.released");
    expect(released).toHaveLength(1);
    expect(String(released[0]?.data.reason)).toMatch(
      /^the operators' settings: the model's API refused/,
    );
    expect(events.some((e) => e.type === "run.finished")).toBe(false);
    // Not before the recheck time: no worker takes it up only to meet the same refusal.
    expect(await h.store.leases.claimNext("worker-2", 60_000)).toBeUndefined();

    h.tick(OPERATOR_RECHECK_MS + 1_000);
    const finished = await h.execute(await h.claim("worker-2"));
    expect(finished.state).toBe("succeeded");
    expect(h.show(`${finished.branch}:a.txt`)).toBe("two\n");
  });
});

describe("a worker told of the operators' settings", () => {
  it("claims nothing while held, tells the operators once at error level, then claims again", async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const log = pino(
      { level: "debug" },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
          done();
        },
      }),
    );
    const claimed: string[] = [];
    const worker = new Worker({
      store: h.store,
      workerId: "worker-held",
      concurrency: 1,
      leaseMs: 60_000,
      pollMs: 20,
      log,
      execute: async (run) => {
        claimed.push(run.id);
        await h.store.runs.finish(run.id, "succeeded", "done");
        return run;
      },
    });
    const problem = { setting: "ANTHROPIC_API_KEY", problem: "the key was refused" };
    worker.holdClaims(problem, 400);
    worker.holdClaims(problem, 400);
    const queued = await h.queue(CONFIG, 1);
    worker.start();
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(claimed).toEqual([]);
      expect(lines.filter((l) => l.level === 50)).toHaveLength(1);
      expect(lines.find((l) => l.level === 50)?.msg).toMatch(
        /^the key was refused\. Runs are kept in the queue, not failed: fix ANTHROPIC_API_KEY, check it with `stamina doctor`/,
      );
      expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
      await waitFor(
        () => (claimed.length > 0 ? claimed : undefined),
        "the claim once held no more",
      );
      expect(claimed).toEqual([queued.id]);
    } finally {
      await worker.stop();
    }
  });
});
