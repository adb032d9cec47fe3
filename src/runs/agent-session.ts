// The agent's part of a run: the model, the prompts and the tools wired to
// the run's worktree, and the loop driven to its stop. Each step reaches the
// harness through onStep; GitHub stays on the other side of the ports.
import { runAgent, type AgentResult } from "../agent/loop.ts";
import type { AgentResume, AuditSink, ModelPort, StepCheckpoint } from "../agent/ports.ts";
import { renderPrompt } from "../agent/prompts.ts";
import { createBashTool } from "../agent/tools/bash.ts";
import { createEditorTool } from "../agent/tools/editor.ts";
import type { Sandbox } from "../workspace/sandbox.ts";
import type { RunDirectories } from "./run-directories.ts";
import type { Run } from "./types.ts";

export interface AgentSessionOptions {
  run: Run;
  model: ModelPort;
  sandbox: Sandbox;
  audit: AuditSink;
  dirs: RunDirectories;
  env: Record<string, string>;
  commandTimeoutMs: number;
  maxTokens: number;
  signal: AbortSignal;
  onStep: (checkpoint: StepCheckpoint) => Promise<void>;
  resume?: AgentResume;
}

export async function runAgentSession(options: AgentSessionOptions): Promise<AgentResult> {
  const { run, model, audit, dirs } = options;
  const repository = `${run.owner}/${run.repo}`;
  const system = renderPrompt("system", {
    repository,
    workspace: dirs.worktree,
    test_command: run.config.test ? `\`${run.config.test}\`` : "the project's usual test command",
  });
  const task = renderPrompt("task", {
    repository,
    issue_number: String(run.issueNumber),
    issue_title: run.issueTitle,
    issue_body: run.issueBody,
  });
  await audit.record("agent.start", {
    model: model.model,
    maxSteps: run.config.budget.steps,
    prompts: { system: system.templateHash, task: task.templateHash },
    config: run.config,
    ...(options.resume ? { resumedAfterStep: options.resume.step } : {}),
  });
  const result = await runAgent({
    model,
    audit,
    signal: options.signal,
    system: system.text,
    task: task.text,
    maxSteps: run.config.budget.steps,
    maxTokens: options.maxTokens,
    tools: [
      createBashTool({
        sandbox: options.sandbox,
        worktree: dirs.worktree,
        env: options.env,
        outputDir: dirs.outputs,
        timeoutMs: options.commandTimeoutMs,
      }),
      createEditorTool(dirs.worktree),
    ],
    onStep: options.onStep,
    resume: options.resume,
  });
  await audit.record("agent.stop", { stop: result.stop, steps: result.steps, usage: result.usage });
  return result;
}
