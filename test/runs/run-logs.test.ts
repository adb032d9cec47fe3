// A run's lines in the operators' log, as a worker claims and carries it out (the way main.ts
// wires it): every line from the claim on says which run, which delivery asked for it, which
// installation and repository; the run's end is one line at info with its state, how long it
// took, its steps, tokens and dollars.
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { logModelRetry } from "../../src/cli/startup.ts";
import { createModel } from "../../src/model/factory.ts";
import { Worker } from "../../src/runs/worker.ts";
import type { Run } from "../../src/store/types.ts";
import {
  editFile,
  reply,
  text,
  toolUse,
  type ScriptedTurn,
} from "../support/model-server/index.ts";
import { MODEL_KEY, startHarness, type Harness } from "../support/run-harness.ts";

type Line = Record<string, unknown> & { level: number; msg: string };

let h: Harness;
beforeEach(async () => {
  h = await startHarness({
    "a.txt": "one\n",
    "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
  });
});
afterEach(() => h.close());

/** One run queued, claimed by a worker and carried out; every line the worker's log got. */
async function workedRun(script: ScriptedTurn[]): Promise<{ run: Run; lines: Line[] }> {
  const lines: Line[] = [];
  const log = pino(
    { level: "debug" },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Line);
        done();
      },
    }),
  );
  const server = await h.model(script);
  await h.queue({ test: "sh check.sh" });
  // A minute and a half in the queue: the run's duration counts from when it was asked for.
  h.tick(90_000);
  let finished!: (run: Run) => void;
  const ended = new Promise<Run>((resolve) => (finished = resolve));
  const provider = { provider: "anthropic" as const, apiKey: MODEL_KEY, baseURL: server.url };
  const worker = new Worker({
    store: h.store,
    workerId: "worker-1",
    concurrency: 1,
    leaseMs: 60_000,
    pollMs: 20,
    log,
    // As main.ts wires it: the run's logger for the run, its model's retries included.
    execute: async (run, signal, drain, runLog: Logger) => {
      const done = await h.execute(
        run,
        { signal, drain },
        {
          log: runLog,
          createModel: (model) =>
            createModel({
              model,
              provider,
              retry: { baseDelayMs: 1, maxDelayMs: 1 },
              onRetry: (retry, endpoint) => logModelRetry(runLog, retry, endpoint, provider),
            }),
        },
      );
      finished(done);
      return done;
    },
  });
  worker.start();
  try {
    return { run: await ended, lines };
  } finally {
    await worker.stop();
  }
}

function expectEveryLineOfTheRun(lines: Line[], run: Run): Line[] {
  const from = lines.findIndex((l) => l.msg === "run claimed");
  expect(from).toBeGreaterThan(0);
  const ofRun = lines.slice(from);
  for (const line of ofRun) {
    expect(line, line.msg).toMatchObject({
      runId: run.id,
      deliveryId: run.deliveryId,
      installationId: 1,
      repository: "octo/demo",
    });
  }
  return ofRun;
}

const endLines = (lines: Line[]) => lines.filter((l) => "durationMs" in l);

describe("a run's lines in the operators' log", () => {
  it("all carry the run, and its end is one line with its state, time, steps, tokens and dollars", async () => {
    const { run, lines } = await workedRun([
      { status: 529, errorType: "overloaded_error", message: "Overloaded" },
      reply(toolUse("update_plan", { plan: ["Make a.txt say two"] })),
      reply(editFile("a.txt", "one", "two")),
      reply(text("Changed a.txt.")),
      reply(text("a.txt says two now, as the issue asks.")),
    ]);
    expect(run.state).toBe("succeeded");
    const ofRun = expectEveryLineOfTheRun(lines, run);
    // Lines from the worker, the model's retry (main's wiring) and the surface, not only one.
    expect(ofRun.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        "run claimed",
        expect.stringMatching(/^the model at http:\/\/127\.0\.0\.1:\d+ answered 529/) as unknown,
        "audit log attached as check runs",
        "run ended: succeeded",
      ]),
    );
    const [end, ...more] = endLines(lines);
    expect(more).toEqual([]);
    const outcome = run.agentOutcome!;
    expect(end).toMatchObject({
      level: 30,
      msg: "run ended: succeeded",
      state: "succeeded",
      steps: 4,
      tokens: outcome.spent.tokens,
      dollars: Math.round(outcome.spent.dollars * 10_000) / 10_000,
      attempts: 1,
    });
    expect(end?.tokens).toBeGreaterThan(0);
    expect(end?.dollars).toBeGreaterThan(0);
    expect(end?.durationMs).toBe(90_000);
    expect(end?.durationMs).toBe(Date.parse(run.finishedAt!) - Date.parse(run.createdAt));
  });

  it("end a run the model failed part-way with what its steps had spent", async () => {
    const { run, lines } = await workedRun([
      reply(toolUse("update_plan", { plan: ["Make a.txt say two"] })),
      { status: 400, errorType: "invalid_request_error", message: "the request was refused" },
    ]);
    expect(run.state).toBe("failed");
    expect(run.agentOutcome).toBeNull();
    const ofRun = expectEveryLineOfTheRun(lines, run);
    expect(ofRun.some((l) => l.level === 50 && l.msg === "run failed")).toBe(true);
    const [end, ...more] = endLines(lines);
    expect(more).toEqual([]);
    expect(end).toMatchObject({ level: 30, msg: "run ended: failed", state: "failed", steps: 1 });
    expect(end?.tokens).toBeGreaterThan(0);
    expect(end?.dollars).toBeGreaterThan(0);
  });
});
