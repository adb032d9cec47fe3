// The agent's part of a run on GitHub: the issue's prompts, the tools and
// the ports wired to the run's worktree, and the loop driven to its stop.
// Each step reaches the harness through onStep; GitHub stays on the other
// side of the ports (milestones push, progress edits the tracking comment).
import type { AgentResult } from "../agent/loop.ts";
import type {
  AgentResume,
  AuditSink,
  ChecksPort,
  Clock,
  HumanPort,
  MemoryPort,
  MilestonePort,
  ProgressPort,
  StepCheckpoint,
  Tool,
} from "../agent/ports.ts";
import type { ModelPort } from "../model/types.ts";
import type { Tracer } from "../observability/tracing.ts";
import {
  renderPrompt,
  repositoryInstructions,
  untrusted,
  type RenderedPrompt,
} from "../agent/prompts.ts";
import { contextSettingsOf, watchdogSettingsOf } from "../agent/config-settings.ts";
import { runSession, systemPrompt } from "../agent/session.ts";
import type { WorkingTree } from "../workspace/working-tree.ts";
import type { NetworkGrant, Sandbox } from "../sandbox/sandbox.ts";
import type { RunDirectories } from "./run-directories.ts";
import type { Run } from "../store/types.ts";
import type { SpendGate } from "../agent/budget.ts";
import { cappedBudget, type OperatorLimits } from "./spend-limits.ts";

export interface AgentSessionOptions {
  run: Run;
  /** The operator's limits: the dollar budget is held to the one per run. */
  limits?: OperatorLimits;
  spendGate?: SpendGate;
  model: ModelPort;
  sandbox: Sandbox;
  audit: AuditSink;
  dirs: RunDirectories;
  env: Record<string, string>;
  commandTimeoutMs: number;
  maxTokens: number;
  signal: AbortSignal;
  /** Each step and tool call a span; none: no spans. */
  tracer?: Tracer;
  checks: ChecksPort;
  milestones: MilestonePort;
  progress: ProgressPort;
  /** The commit the run's branch started from: the diff for review is taken against it. */
  baseSha: string;
  /** The run's working tree, watched: the same one the step checkpoint reads. */
  tree: WorkingTree;
  onStep: (checkpoint: StepCheckpoint) => Promise<void>;
  /** The repository's memory, shared with its other runs. */
  memory?: MemoryPort;
  /** Where a pause goes: the comment on the issue. */
  human?: HumanPort;
  resume?: AgentResume;
  clock?: Clock;
  /** The issue's comments as the task quotes them (issue-discussion.ts); none: "". */
  discussion?: string;
  /** The task, when it is not the issue's (a review round, see follow-up.ts). */
  task?: RenderedPrompt;
  /** Tools of that task (a review round's `answer_thread`). */
  taskTools?: Tool[];
  /** Asked when the model first ends its turn (a review round's unanswered threads). */
  beforeDone?: () => Promise<string | null>;
  /** The agent's way out through the egress proxy (`network.agent`); none: no network. */
  network?: NetworkGrant;
}

export function runAgentSession(options: AgentSessionOptions): Promise<AgentResult> {
  const { run, dirs } = options;
  const repository = `${run.owner}/${run.repo}`;
  return runSession({
    ...options,
    group: run.id,
    worktree: dirs.worktree,
    outputDir: dirs.outputs,
    budget: cappedBudget(run.config.budget, options.limits),
    // With a person to ask, a budget running out asks for more before the run ends.
    ...(options.human ? { budgetExtension: run.config.approvals.budget_extension } : {}),
    config: run.config,
    context: contextSettingsOf(run.config.context),
    progressFile: dirs.progress,
    watchdog: watchdogSettingsOf(run.config.watchdog),
    // An issue's run takes the checks on the base commit first and asks once before it ends with
    // no change; a review round starts from its own pushed work and may rightly change nothing.
    baseline: options.task === undefined,
    confirmNoChange: options.task === undefined,
    workspace: {
      base: options.baseSha,
      diff: (signal) => options.tree.diff(options.baseSha, { signal }),
      change: async (signal) =>
        (await options.tree.diffBytes(options.baseSha, { signal })).bytes.toString(),
    },
    system: systemPrompt({
      project: repository,
      workspace: dirs.worktree,
      base: options.baseSha,
      checks: { build: run.config.build, test: run.config.test, lint: run.config.lint },
      network: options.network !== undefined,
    }),
    task:
      options.task ??
      renderPrompt("task", {
        repository,
        issue_number: String(run.issueNumber),
        issue_title: untrusted(run.issueTitle),
        issue_body: untrusted(run.issueBody),
        discussion: options.discussion ?? "",
        instructions: repositoryInstructions(run.config.instructions),
      }),
  });
}
