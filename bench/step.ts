// step: what the product adds to one agent step, on a real repository.
//
// The repository: 10,000 small files (100 folders of 100) in one commit; the
// small form has 300. The session: 200 scripted steps (20 in the small form)
// that mix reads (the editor's `view`), edits (`str_replace`, `create`) and
// commands in the sandbox (ls, grep, git status, wc, the project's check
// script); see _step-script.ts. Both sides run it against the same scripted
// model server on loopback, each from a fresh checkout of the same commit.
//
// Ours: the product's own step, wired as the worker wires it. A run is queued
// in the store (SQLite in a temporary folder) and claimed by a worker id, and
// runAgentSession drives it (every tool, the context manager, the watchdog, the
// audit chain fenced by the lease, the model's requests redacted), with the
// real step checkpointer after every step: the run's watched working tree
// (workspace/working-tree.ts) brought up to date while the run's processes are
// frozen, its diff compressed, and written with the step's messages in one
// lease-checked transaction (a step that changed no file keeps the last diff). Left out: GitHub
// (the progress comment, pushes), which is not part of a step.
//
// The baseline: the same script's tools (the editor and the bash tool of
// src/agent/tools, in the same bubblewrap sandbox, with the same environment
// and a sandbox group of their own, as a run's commands have)
// driven by a minimal loop on the SDK, each step's two messages appended to a
// JSONL transcript file. Nothing else.
//
// A step's time runs from the end of the last step to the end of this one (its
// checkpoint, or its transcript line); the turns that end the session are not
// steps. Each round runs both sides, alternating which goes first, and keeps
// each side's mean and p50; the figures are the medians over the rounds, and
// the ratio of each round's means (and of its p50s), its median and spread
// (_rounds.ts). The judged ratio is the mean's: the time of the session's
// steps as a whole, each step counted. The script's steps fall in two groups
// (commands, which wait on the sandbox and `du`, and the editor's steps,
// several times quicker) and the p50 lands in the gap between them, so it
// moves by a fifth from run to run and says little; it is printed beside.
import { appendFile, mkdir, rm } from "node:fs/promises";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { createBashTool } from "../src/agent/tools/bash.ts";
import { createEditorTool } from "../src/agent/tools/editor.ts";
import { createAnthropicModel } from "../src/model/anthropic.ts";
import { createRedactor } from "../src/observability/redact.ts";
import { parseRepoConfig } from "../src/policy/config.ts";
import { runAgentSession } from "../src/runs/agent-session.ts";
import { createChecksRunner } from "../src/runs/checks.ts";
import { BOT } from "../src/runs/commits.ts";
import { freezing } from "../src/runs/frozen.ts";
import { recordLeftOut } from "../src/runs/left-out.ts";
import { createMilestones } from "../src/runs/milestone.ts";
import { redactedModel } from "../src/runs/redacted-model.ts";
import { RunControl } from "../src/runs/run-control.ts";
import type { RunDirectories } from "../src/runs/run-directories.ts";
import { createStepCheckpointer } from "../src/runs/step-checkpoint.ts";
import { commandEnvironment, createSandbox, type Sandbox } from "../src/sandbox/sandbox.ts";
import { openStore } from "../src/store/open.ts";
import { WorkingTree } from "../src/workspace/working-tree.ts";
import { startModelServer } from "../test/support/model-server/index.ts";
import { alternate, ratioFigures, ratioPromises } from "./_rounds.ts";
import { createStepRepository, resetStepRepository } from "./_step-repo.ts";
import { stepIssue, stepScript } from "./_step-script.ts";
import { mean, median } from "./_stats.ts";
import type { BenchOptions, Figure, Promised } from "./_bench.ts";

const KEY = "sk-ant-bench-step-key";
const MODEL = "claude-sonnet-5-5";
const WORKER = "bench-worker";
const COMMAND_TIMEOUT_MS = 60_000;
const MAX_TOKENS = 1_000;

const FULL = { folders: 100, steps: 200, rounds: 5 };
const SMALL = { folders: 3, steps: 20, rounds: 2 };

export const figures: readonly Promised[] = [
  { name: "step.mean_ms", unit: "ms" },
  { name: "step.base_mean_ms", unit: "ms" },
  ...ratioPromises("step.ratio", { atMost: 1.3 }),
  { name: "step.p50_ms", unit: "ms" },
  { name: "step.base_p50_ms", unit: "ms" },
  ...ratioPromises("step.p50_ratio"),
];

interface Bench {
  dir: string;
  worktree: string;
  baseSha: string;
  steps: number;
  folders: number;
  sandbox: Sandbox;
}

export async function run(options: BenchOptions): Promise<Figure[]> {
  const shape = options.small ? SMALL : FULL;
  const dir = mkdtempSync(join(tmpdir(), "stamina-bench-step-"));
  try {
    const worktree = join(dir, "worktree");
    const baseSha = createStepRepository(worktree, shape.folders);
    const bench: Bench = {
      dir,
      worktree,
      baseSha,
      ...shape,
      sandbox: createSandbox({ kind: "auto" }),
    };
    // Each side's steps per round, for their p50 beside the mean.
    const p50s = { ours: [] as number[], base: [] as number[] };
    const sampled = (side: "ours" | "base", times: number[]) => {
      p50s[side].push(median(times));
      return mean(times);
    };
    const rounds = await alternate(shape.rounds, {
      ours: async (round) => sampled("ours", await ours(bench, round)),
      base: async (round) => sampled("base", await minimalLoop(bench, round)),
    });
    const p50Ratios = p50s.ours.map((m, i) => m / (p50s.base[i] ?? Number.NaN));
    return [
      { name: "step.mean_ms", value: median(rounds.ours), unit: "ms" },
      { name: "step.base_mean_ms", value: median(rounds.base), unit: "ms" },
      ...ratioFigures("step.ratio", rounds.ratios),
      { name: "step.p50_ms", value: median(p50s.ours), unit: "ms" },
      { name: "step.base_p50_ms", value: median(p50s.base), unit: "ms" },
      ...ratioFigures("step.p50_ratio", p50Ratios),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The run's own folders beside the worktree, fresh for each side of each round. */
async function runDirs(bench: Bench, name: string): Promise<RunDirectories> {
  const root = join(bench.dir, name);
  await rm(root, { recursive: true, force: true });
  const dirs = {
    worktree: bench.worktree,
    home: join(root, "home"),
    tmp: join(root, "tmp"),
    outputs: join(root, "outputs"),
    progress: join(root, "progress.md"),
  };
  await Promise.all([dirs.home, dirs.tmp, dirs.outputs].map((d) => mkdir(d, { recursive: true })));
  return dirs;
}

/** The minimal loop: the SDK, the editor and bash tools in the sandbox, a JSONL transcript. */
async function minimalLoop(bench: Bench, round: number): Promise<number[]> {
  resetStepRepository(bench.worktree, bench.baseSha);
  const dirs = await runDirs(bench, `base-${round}`);
  const server = await startModelServer(stepScript(bench.steps, bench.folders), { apiKey: KEY });
  const tools = [
    createBashTool({
      sandbox: bench.sandbox,
      worktree: bench.worktree,
      env: commandEnvironment({ home: dirs.home, tmpdir: dirs.tmp }),
      outputDir: dirs.outputs,
      timeoutMs: COMMAND_TIMEOUT_MS,
      group: `base-${round}`,
    }),
    createEditorTool(bench.worktree),
  ];
  const transcript = join(bench.dir, `base-${round}`, "transcript.jsonl");
  try {
    const client = new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
    const issue = stepIssue(bench.steps);
    const messages: Anthropic.MessageParam[] = [
      { role: "user", content: `${issue.title}\n\n${issue.body}` },
    ];
    await appendFile(transcript, `${JSON.stringify(messages[0])}\n`);
    const times: number[] = [];
    for (let step = 0; step < bench.steps; step++) {
      const started = performance.now();
      const message = await client.messages
        .stream({
          model: MODEL,
          max_tokens: MAX_TOKENS,
          messages,
          tools: tools.map((t) => t.definition as Anthropic.ToolUnion),
        })
        .finalMessage();
      const results: Anthropic.ToolResultBlockParam[] = [];
      for (const block of message.content) {
        if (block.type !== "tool_use") continue;
        const tool = tools.find((t) => t.definition.name === block.name);
        if (tool === undefined) throw new Error(`the script called an unknown tool ${block.name}`);
        const outcome = await tool.execute(block.input, new AbortController().signal);
        results.push({
          type: "tool_result",
          tool_use_id: block.id,
          content: outcome.output,
          ...(outcome.isError ? { is_error: true } : {}),
        });
      }
      const added: Anthropic.MessageParam[] = [
        { role: "assistant", content: message.content },
        { role: "user", content: results },
      ];
      messages.push(...added);
      await appendFile(transcript, added.map((m) => `${JSON.stringify(m)}\n`).join(""));
      times.push(performance.now() - started);
    }
    return times;
  } finally {
    await Promise.all(tools.map((t) => t.close?.() ?? Promise.resolve()));
    await bench.sandbox.releaseGroup(`base-${round}`);
    await server.close();
  }
}

/** The product's step: a claimed run's session, as the worker runs it, checkpointed each step. */
async function ours(bench: Bench, round: number): Promise<number[]> {
  resetStepRepository(bench.worktree, bench.baseSha);
  const dirs = await runDirs(bench, `ours-${round}`);
  const server = await startModelServer(stepScript(bench.steps, bench.folders), { apiKey: KEY });
  const redactor = createRedactor([KEY]);
  const store = await openStore({ sqlitePath: join(bench.dir, `ours-${round}.db`), redactor });
  const { sandbox, worktree } = bench;
  try {
    const issue = stepIssue(bench.steps);
    const config = parseRepoConfig({
      budget: { steps: bench.steps + 10, tokens: 1_000_000_000, dollars: 10_000, minutes: 600 },
    });
    const created = await store.runs.create({
      installationId: 1,
      owner: "bench",
      repo: "step",
      issueNumber: round + 1,
      issueTitle: issue.title,
      issueBody: issue.body,
      requestedBy: "bench",
      deliveryId: `bench-step-${round}`,
      config,
    });
    if (!created.created) throw new Error("the benchmark's run was not queued");
    // Claimed by this worker: every checkpoint and audit event checks it still holds the lease.
    const claimed = await store.leases.claimNext(WORKER, 10 * 60_000);
    if (claimed?.id !== created.run.id) throw new Error("the benchmark's run was not claimed");
    const runRow = await store.runs.update(claimed.id, { baseSha: bench.baseSha });
    const audit = {
      record: async (type: string, data: Record<string, unknown>) =>
        void (await store.audit.append(runRow.id, [{ type, data }], WORKER)),
    };
    const control = new RunControl(new AbortController().signal);
    const frozen = freezing(sandbox, runRow.id);
    const env = commandEnvironment({ home: dirs.home, tmpdir: dirs.tmp });
    const tree = await WorkingTree.open(worktree, { frozen, onLeftOut: recordLeftOut(audit) });
    const checkpoint = createStepCheckpointer({
      store,
      runId: runRow.id,
      workerId: WORKER,
      tree,
      control,
    });
    const times: number[] = [];
    let last = performance.now();
    control.enterAgent();
    try {
      await runAgentSession({
        run: runRow,
        model: redactedModel(
          createAnthropicModel({ apiKey: KEY, baseURL: server.url, model: MODEL, maxRetries: 0 }),
          redactor,
        ),
        sandbox,
        audit,
        dirs,
        env,
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
        maxTokens: MAX_TOKENS,
        signal: control.signal,
        baseSha: bench.baseSha,
        tree,
        checks: createChecksRunner({
          sandbox,
          audit,
          group: runRow.id,
          worktree,
          outputDir: dirs.outputs,
          env,
          timeoutMs: COMMAND_TIMEOUT_MS,
          commands: { build: null, test: null, lint: null },
        }),
        milestones: createMilestones({
          frozen,
          worktree,
          author: BOT,
          audit,
          auditHead: () => store.audit.head(runRow.id),
        }),
        memory: store.memory.port("bench/step", runRow.id, WORKER),
        // The progress comment is GitHub's side of a run, not part of a step.
        progress: { plan: () => Promise.resolve(), phase: () => Promise.resolve() },
        onStep: async (c) => {
          await checkpoint(c);
          const now = performance.now();
          // Step 0 is the checks on the base commit, before the first step: not a step.
          if (c.step >= 1 && c.step <= bench.steps) times.push(now - last);
          last = now;
        },
      });
    } finally {
      control.leaveAgent();
      await tree.close();
      await sandbox.releaseGroup(runRow.id);
    }
    if (times.length !== bench.steps) {
      throw new Error(`the session took ${times.length} of the script's ${bench.steps} steps`);
    }
    return times;
  } finally {
    await store.close();
    await server.close();
  }
}
