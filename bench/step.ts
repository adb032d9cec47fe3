// step: what the harness adds to one agent step. The same scripted session
// (200 steps, each viewing a file) runs through the full harness (runSession:
// every tool, the audit chain in the SQLite store, a durable checkpoint of
// each step) and through a minimal loop (the SDK's stream, the same editor
// tool, nothing else), against the same scripted model server on loopback.
// Rounds alternate between the two, so a noisy moment hits both; the median
// of each side's p50 is kept. The ratio is the figure to watch.
//
// The checkpoint: the durable-runs store's checkpoint writer is not on main
// yet, so each StepCheckpoint is written here the simplest faithful way: the
// messages the step added, its state and the working diff against the base
// commit, in one SQLite transaction in the store's database file. The diff is
// taken again only after a step that may have changed the worktree
// (StepCheckpoint.touched); a step that only read keeps the last one. Taking
// it after every step costs four git processes a step (about 5x here).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import Database from "better-sqlite3";
import type { StepCheckpoint } from "../src/agent/ports.ts";
import { renderPrompt } from "../src/agent/prompts.ts";
import { runSession, systemPrompt } from "../src/agent/session.ts";
import { createEditorTool } from "../src/agent/tools/editor.ts";
import { createAnthropicModel } from "../src/model/anthropic.ts";
import { createRedactor } from "../src/observability/redact.ts";
import { DEFAULT_BUDGET } from "../src/policy/config.ts";
import { createChecksRunner } from "../src/runs/checks.ts";
import { createMilestones } from "../src/runs/milestone.ts";
import { openStore } from "../src/store/open.ts";
import { workingDiff } from "../src/workspace/diff.ts";
import { commandEnvironment, createSandbox } from "../src/sandbox/sandbox.ts";
import {
  reply,
  startModelServer,
  text,
  toolUse,
  type ScriptedTurn,
} from "../test/support/model-server/index.ts";
import { fixtureGit } from "../test/workspace/helpers.ts";
import { median } from "./_stats.ts";
import type { BenchOptions, Figure, Promised } from "./_bench.ts";

const STEPS = 200;
const ROUNDS = 3;
const KEY = "sk-ant-bench-step-key";
const MODEL = "claude-sonnet-5-5";

export const figures: readonly Promised[] = [
  { name: "step.p50_ms", unit: "ms" },
  { name: "step.base_p50_ms", unit: "ms" },
  { name: "step.ratio", unit: "x", target: { atMost: 1.3 } },
];

export async function run(_options: BenchOptions): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), "stamina-bench-step-"));
  try {
    const worktree = join(dir, "worktree");
    fixture(worktree);
    const base: number[] = [];
    const full: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      base.push(median(await minimalLoop(worktree)));
      full.push(median(await fullHarness(dir, worktree, round)));
    }
    const p50 = median(full);
    const baseP50 = median(base);
    return [
      { name: "step.p50_ms", value: p50, unit: "ms" },
      { name: "step.base_p50_ms", value: baseP50, unit: "ms" },
      { name: "step.ratio", value: p50 / baseP50, unit: "x" },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function script(): ScriptedTurn[] {
  const view = () =>
    reply(toolUse("str_replace_based_edit_tool", { command: "view", path: "src/data.ts" }));
  return [...Array.from({ length: STEPS }, view), reply(text("Read it all."))];
}

/** The SDK, the editor tool, a transcript: nothing else. Returns each step's milliseconds. */
async function minimalLoop(worktree: string): Promise<number[]> {
  const server = await startModelServer(script(), { apiKey: KEY });
  try {
    const client = new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
    const editor = createEditorTool(worktree);
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "Read the file." }];
    const times: number[] = [];
    for (let step = 0; step < STEPS; step++) {
      const started = performance.now();
      const message = await client.messages
        .stream({ model: MODEL, max_tokens: 1_000, messages, tools: [editor.definition] })
        .finalMessage();
      messages.push({ role: "assistant", content: message.content });
      const results: Anthropic.ToolResultBlockParam[] = [];
      for (const block of message.content) {
        if (block.type !== "tool_use") continue;
        const outcome = await editor.execute(block.input, new AbortController().signal);
        results.push({ type: "tool_result", tool_use_id: block.id, content: outcome.output });
      }
      messages.push({ role: "user", content: results });
      times.push(performance.now() - started);
    }
    return times;
  } finally {
    await server.close();
  }
}

/** runSession with every port a run has, the audit in the store and a checkpoint per step. */
async function fullHarness(dir: string, worktree: string, round: number): Promise<number[]> {
  const server = await startModelServer(script(), { apiKey: KEY });
  const dbPath = join(dir, `stamina-${round}.db`);
  const store = await openStore({ sqlitePath: dbPath, redactor: createRedactor([KEY]) });
  const checkpoints = checkpointTable(dbPath);
  const runDir = join(dir, `run-${round}`);
  const runId = `bench-${round}`;
  const baseSha = fixtureGit(worktree, "rev-parse", "HEAD").trim();
  const audit = {
    record: async (type: string, data: Record<string, unknown>) =>
      void (await store.audit.append(runId, [{ type, data }])),
  };
  const sandbox = createSandbox({ kind: "auto" });
  const env = commandEnvironment({ home: join(runDir, "home"), tmpdir: join(runDir, "tmp") });
  const times: number[] = [];
  let last = performance.now();
  let diff: string | null = null;
  try {
    await runSession({
      model: createAnthropicModel({
        apiKey: KEY,
        baseURL: server.url,
        model: MODEL,
        maxRetries: 0,
      }),
      audit,
      sandbox,
      worktree,
      outputDir: join(runDir, "outputs"),
      env,
      commandTimeoutMs: 60_000,
      maxTokens: 1_000,
      budget: { ...DEFAULT_BUDGET, steps: STEPS + 10 },
      config: {},
      system: systemPrompt({
        project: "bench",
        workspace: worktree,
        checks: { build: null, test: null, lint: null },
      }),
      task: renderPrompt("task-local", { project: "bench", task: "Read the file." }),
      signal: new AbortController().signal,
      checks: createChecksRunner({
        sandbox,
        audit,
        worktree,
        outputDir: join(runDir, "outputs"),
        env,
        timeoutMs: 60_000,
        commands: { build: null, test: null, lint: null },
      }),
      workspace: { diff: (signal) => workingDiff(worktree, baseSha, { signal }) },
      milestones: createMilestones({
        worktree,
        author: { name: "bench", email: "bench@example.com" },
        audit,
        auditHead: () => store.audit.head(runId),
      }),
      onStep: async (c) => {
        // A step whose tools only read leaves the diff as it was: no git run for it.
        if (c.touched || diff === null)
          diff = await workingDiff(worktree, baseSha, { binary: true });
        checkpoints.save(runId, c, baseSha, diff);
        const now = performance.now();
        if (c.step <= STEPS) times.push(now - last);
        last = now;
      },
    });
    return times;
  } finally {
    checkpoints.close();
    await store.close();
    await server.close();
  }
}

/** A step checkpoint table beside the store's own, written in one transaction per step. */
function checkpointTable(path: string) {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(
    "create table if not exists bench_transcript (run_id text, idx integer, step integer, message text, primary key (run_id, idx));" +
      "create table if not exists bench_checkpoints (run_id text primary key, step integer, state text, base_sha text, diff text)",
  );
  const count = db.prepare("select count(*) as n from bench_transcript where run_id = ?");
  const message = db.prepare("insert into bench_transcript values (?, ?, ?, ?)");
  const checkpoint = db.prepare(
    "insert into bench_checkpoints values (?, ?, ?, ?, ?) on conflict (run_id) do update set step = excluded.step, state = excluded.state, base_sha = excluded.base_sha, diff = excluded.diff",
  );
  const save = db.transaction((runId: string, c: StepCheckpoint, baseSha: string, diff: string) => {
    const next = (count.get(runId) as { n: number }).n;
    c.added.forEach((m, i) => message.run(runId, next + i, c.step, JSON.stringify(m)));
    checkpoint.run(runId, c.step, JSON.stringify(c.state), baseSha, diff);
  });
  return { save, close: () => db.close() };
}

function fixture(worktree: string): void {
  mkdirSync(join(worktree, "src"), { recursive: true });
  const lines = Array.from(
    { length: 60 },
    (_, i) => `export const value${i} = ${i}; // a line of the file`,
  );
  writeFileSync(join(worktree, "src/data.ts"), `${lines.join("\n")}\n`);
  fixtureGit(worktree, "init", "--quiet", "--initial-branch=main");
  fixtureGit(worktree, "add", "--all");
  fixtureGit(worktree, "commit", "--quiet", "-m", "fixture");
}
