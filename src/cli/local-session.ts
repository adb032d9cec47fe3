// An agent session on a local checkout, as `stamina run` and `stamina replay`
// both drive it: the run's own folder beside it (HOME, TMPDIR, saved
// outputs), the setup commands, the checks, commits by the harness, and the
// work so far committed however the session stopped. No GitHub anywhere.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { AgentResult } from "../agent/loop.ts";
import type { AuditSink, Clock, HumanPort, MemoryPort, ProgressPort } from "../agent/ports.ts";
import type { ModelPort } from "../model/types.ts";
import type { RenderedPrompt } from "../agent/prompts.ts";
import { runSession } from "../agent/session.ts";
import { type RepoConfig } from "../policy/config.ts";
import { contextSettingsOf, watchdogSettingsOf } from "../agent/config-settings.ts";
import { createChecksRunner } from "../runs/checks.ts";
import { runHarnessCommand } from "../runs/harness-commands.ts";
import { openNetworkReport } from "../runs/network-report.ts";
import { createMilestones } from "../runs/milestone.ts";
import { workingDiff } from "../workspace/diff.ts";
import { commandEnvironment, type Sandbox } from "../sandbox/sandbox.ts";

/** Who the harness commits as on a local checkout. */
const LOCAL_AUTHOR = { name: "Stamina", email: "stamina@localhost" };

export interface LocalSessionOptions {
  worktree: string;
  /** The run's own folder, outside the worktree. */
  runDir: string;
  baseSha: string;
  config: RepoConfig;
  model: ModelPort;
  audit: AuditSink;
  auditHead: () => Promise<string | undefined>;
  sandbox: Sandbox;
  commandTimeoutMs: number;
  maxTokens: number;
  system: RenderedPrompt;
  task: RenderedPrompt;
  /** The final commit's message. */
  finalMessage: string;
  signal: AbortSignal;
  progress?: ProgressPort;
  clock?: Clock;
  /** The checkout's memory across runs. */
  memory?: MemoryPort;
  /** False when the task already carries the memory's notes (a replay). */
  memoryInTask?: boolean;
  /** Told when the watchdog pauses the session. */
  human?: HumanPort;
}

/** A setup command failed: the session did not start. */
export class SetupFailed extends Error {
  override name = "SetupFailed";
}

export async function runLocalSession(options: LocalSessionOptions): Promise<AgentResult> {
  const { worktree, config, audit, signal } = options;
  const dirs = {
    worktree,
    home: join(options.runDir, "home"),
    tmp: join(options.runDir, "tmp"),
    outputs: join(options.runDir, "outputs"),
    progress: join(options.runDir, "progress.md"),
  };
  await Promise.all([dirs.home, dirs.tmp, dirs.outputs].map((d) => mkdir(d, { recursive: true })));
  const env = commandEnvironment({ home: dirs.home, tmpdir: dirs.tmp, extra: config.env });
  const harness = {
    sandbox: options.sandbox,
    audit,
    dirs,
    env,
    timeoutMs: options.commandTimeoutMs,
    signal,
  };
  const network = openNetworkReport({ audit, allow: config.network.allow });
  for (const command of config.setup) {
    const result = await runHarnessCommand(harness, command, "setup", network);
    if (result.exitCode !== 0) {
      throw new SetupFailed(
        `the setup command \`${command}\` ${result.timedOut ? "timed out" : `exited with code ${String(result.exitCode)}`}:\n${result.output.slice(-2_000)}`,
      );
    }
  }
  const milestones = createMilestones({
    worktree,
    author: LOCAL_AUTHOR,
    audit,
    auditHead: options.auditHead,
  });
  const result = await runSession({
    model: options.model,
    audit,
    sandbox: options.sandbox,
    worktree,
    outputDir: dirs.outputs,
    env,
    commandTimeoutMs: options.commandTimeoutMs,
    maxTokens: options.maxTokens,
    budget: config.budget,
    config,
    context: contextSettingsOf(config.context),
    progressFile: dirs.progress,
    watchdog: watchdogSettingsOf(config.watchdog),
    baseline: true,
    confirmNoChange: true,
    memory: options.memory,
    memoryInTask: options.memoryInTask,
    human: options.human,
    system: options.system,
    task: options.task,
    signal,
    clock: options.clock,
    progress: options.progress,
    ...(config.network.agent ? { network: network.grant("agent") } : {}),
    checks: createChecksRunner({
      ...harness,
      worktree,
      outputDir: dirs.outputs,
      commands: { build: config.build, test: config.test, lint: config.lint },
    }),
    milestones,
    workspace: {
      base: options.baseSha,
      diff: (s) => workingDiff(worktree, options.baseSha, { signal: s }),
    },
  });
  await network.flush();
  if (result.stop !== "aborted") {
    // However it stopped, the work so far is on the branch.
    await milestones.checkpoint({ message: options.finalMessage, reason: "final" }, signal);
  }
  return result;
}
