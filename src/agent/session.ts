// One agent session on a worktree, as every caller wires it: the tools on the
// worktree (the persistent shell, the editor, search), the prompts, the loop,
// and the session's start and stop in the audit log. A run on GitHub, a local
// `stamina run` and `stamina replay` differ only in the ports they pass.
import { safetyEvent } from "../audit/safety.ts";
import type { NetworkGrant, Sandbox } from "../sandbox/sandbox.ts";
import { createSearcher } from "../workspace/search.ts";
import { describeSpend } from "./budget.ts";
import { createContextManager } from "./context/manager.ts";
import type { ContextSettings } from "./context/settings.ts";
import { runAgent, type AgentOptions, type AgentResult } from "./loop.ts";
import type { WatchdogSettings } from "./watchdog-rules.ts";
import type { AuditSink, CheckName, MemoryFile, MemoryPort, Tool } from "./ports.ts";
import { renderPrompt, type RenderedPrompt } from "./prompts.ts";
import { createBashTool } from "./tools/bash.ts";
import { createEditorTool } from "./tools/editor.ts";
import { createMemoryTool, memoryNotes } from "./tools/memory.ts";
import { createSearchTool } from "./tools/search.ts";
import { createWatchdog } from "./watchdog.ts";

export interface SessionOptions extends Omit<AgentOptions, "tools" | "system" | "task"> {
  sandbox: Sandbox;
  worktree: string;
  /** The run's folder for the full output of long commands (outside the worktree). */
  outputDir: string;
  env: Record<string, string>;
  /** The run's id, for the sandbox: its commands share the run's limits. */
  group?: string;
  commandTimeoutMs: number;
  system: RenderedPrompt;
  task: RenderedPrompt;
  /** Recorded with the session's start: the resolved repository config. */
  config: unknown;
  /**
   * The context manager's thresholds (`context` in the repository config); false sends the whole
   * transcript every turn. Ignored when a `view` is given.
   */
  context?: Partial<ContextSettings> | false;
  /** The run's progress file, in the run's folder: written at milestones, read on resume. */
  progressFile?: string;
  /** The repository's memory across runs: the `memory` tool, and the notes the task starts with. */
  memory?: MemoryPort;
  /** False when the task already carries the notes (a replay's recorded task). */
  memoryInTask?: boolean;
  /** The watchdog's thresholds; none, or not enabled, runs no watchdog. */
  watchdog?: WatchdogSettings;
  /** Tools of this kind of task beyond the worktree's (a review round's `answer_thread`). */
  taskTools?: Tool[];
  /** The bash tool's way out through the egress proxy (`network.agent`); none: no network. */
  network?: NetworkGrant;
}

export async function runSession(options: SessionOptions): Promise<AgentResult> {
  const { audit, model, budget } = options;
  const tools = [
    createBashTool({
      sandbox: options.sandbox,
      worktree: options.worktree,
      env: options.env,
      outputDir: options.outputDir,
      timeoutMs: options.commandTimeoutMs,
      resumed: options.resume !== undefined,
      ...(options.group === undefined ? {} : { group: options.group }),
      ...(options.network === undefined ? {} : { network: options.network }),
      audit,
    }),
    createEditorTool(options.worktree, {
      // Python's compiler checks a .py edit in the run's sandbox, as the agent's commands run.
      python: {
        sandbox: options.sandbox,
        env: options.env,
        outputDir: options.outputDir,
        ...(options.group === undefined ? {} : { group: options.group }),
      },
    }),
    // A command of the run, in its sandbox: as the agent's own commands see the worktree.
    createSearchTool(
      createSearcher({
        worktree: options.worktree,
        sandbox: options.sandbox,
        env: options.env,
        outputDir: options.outputDir,
        ...(options.group === undefined ? {} : { group: options.group }),
      }),
    ),
    ...(options.memory ? [createMemoryTool(options.memory)] : []),
    ...(options.taskTools ?? []),
  ];
  const manager =
    options.view === undefined && options.context !== false
      ? createContextManager({
          modelId: model.model,
          settings: options.context === undefined ? undefined : options.context,
          progressFile: options.progressFile,
          resumed: options.resume !== undefined,
        })
      : undefined;
  // The memory as it is when the run starts, as notes after the task; a resumed run has them.
  const remembered =
    options.memory && options.resume === undefined ? await options.memory.read() : undefined;
  const notes = remembered && options.memoryInTask !== false ? memoryNotes(remembered) : undefined;
  const task = notes ? `${options.task.text}\n\n${notes.text}` : options.task.text;
  const hooks = [...(options.hooks ?? [])];
  if (options.watchdog?.enabled) {
    hooks.push(
      createWatchdog({
        settings: options.watchdog,
        scope: options.task.text,
        workspace: options.workspace,
        audit,
        signal: options.signal,
      }),
    );
  }
  // Everything replay needs to run the session again: the prompts as sent, the config, the budget.
  await audit.record("agent.start", {
    model: model.model,
    maxSteps: budget.steps,
    budget,
    maxTokens: options.maxTokens,
    prompts: {
      system: options.system.templateHash,
      task: options.task.templateHash,
      ...(notes ? { memory: notes.templateHash } : {}),
    },
    system: options.system.text,
    task,
    config: options.config,
    // What the memory held at the start, so a replay's memory answers as this one's did.
    ...(remembered ? { memory: remembered } : {}),
    // Where this session's paths point, so a replay elsewhere can tell them apart from changes.
    worktree: options.worktree,
    outputDir: options.outputDir,
    ...(manager ? { contextCapabilities: manager.capabilities } : {}),
    ...(options.resume ? { resumedAfterStep: options.resume.step } : {}),
  });
  if (notes && remembered && remembered.length > 0) await recordMemoryFramed(audit, remembered);
  let result: AgentResult;
  try {
    result = await runAgent({
      ...options,
      tools,
      hooks,
      system: options.system.text,
      task,
      // The context hook runs last, so the state it keeps follows every other hook's.
      ...(manager ? { view: manager.view, hooks: [...hooks, manager.hook] } : {}),
    });
  } finally {
    await Promise.all(tools.map((t) => t.close?.() ?? Promise.resolve()));
  }
  await audit.record("agent.stop", {
    stop: result.stop,
    message: result.message,
    steps: result.steps,
    phase: result.phase,
    verified: result.verification?.passed ?? false,
    usage: result.usage,
    spent: result.spent,
    budget: describeSpend(budget, result.steps, result.spent),
  });
  return result;
}

/** The system prompt for a worktree, naming the checks the repository configures. */
export function systemPrompt(vars: {
  project: string;
  workspace: string;
  /** The commit the run started from: what `git diff` and `git show` compare against. */
  base: string;
  checks: Record<CheckName, string | null>;
  /** The agent's commands reach the allowlisted hosts through the egress proxy (`network.agent`). */
  network?: boolean;
}): RenderedPrompt {
  const named = (Object.entries(vars.checks) as [CheckName, string | null][])
    .filter(([, command]) => command !== null)
    .map(([name, command]) => `${name} \`${command}\``);
  return renderPrompt("system", {
    project: vars.project,
    workspace: vars.workspace,
    base: vars.base.slice(0, 12),
    network: vars.network
      ? "Commands run without any credentials. They reach the network only through a proxy (HTTP_PROXY and HTTPS_PROXY are set) that lets through the hosts the maintainers allow, such as package registries; any other host gets a 403 that names it, and tools that ignore the proxy variables reach nothing."
      : "Commands run without network access and without any credentials.",
    checks:
      named.length > 0
        ? named.join(", ")
        : "none are configured for this repository, so run the project's own tests with bash",
  });
}

/**
 * The memory earlier runs wrote reaches the model only as notes, framed by `prompts/memory.md`
 * as untrusted hints: an instruction an earlier run was swayed into writing there is data.
 */
async function recordMemoryFramed(audit: AuditSink, files: readonly MemoryFile[]): Promise<void> {
  const { type, data } = safetyEvent({
    control: "memory.notes",
    outcome: "flagged",
    detail: `The run starts with ${files.length === 1 ? "1 memory file" : `${files.length} memory files`} earlier runs wrote, given to the model as untrusted notes, never as instructions.`,
    files: files.map((f) => f.path),
  });
  await audit.record(type, data);
}
