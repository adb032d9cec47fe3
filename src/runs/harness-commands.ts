// Commands the harness runs itself, not the agent: the setup commands, each an
// audit event. (The checks that verify the work are in checks.ts.)
import { clip } from "../agent/turn.ts";
import type { AuditSink } from "../agent/ports.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import { RunFailure } from "./failure.ts";
import type { NetworkReport } from "./network-report.ts";
import type { RunDirectories } from "./run-directories.ts";

export interface HarnessCommandContext {
  sandbox: Sandbox;
  audit: AuditSink;
  dirs: RunDirectories;
  env: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  /** The run's id: its commands share the run's limits (and are frozen together). */
  group?: string;
}

export async function runHarnessCommand(
  ctx: HarnessCommandContext,
  command: string,
  purpose: "setup",
  network: NetworkReport,
) {
  let result;
  try {
    result = await ctx.sandbox.run({
      command,
      cwd: ctx.dirs.worktree,
      env: ctx.env,
      // Setup installs dependencies: it reaches the allowlisted hosts through the egress proxy.
      network: network.grant(purpose),
      timeoutMs: ctx.timeoutMs,
      outputDir: ctx.dirs.outputs,
      signal: ctx.signal,
      ...(ctx.group === undefined ? {} : { group: ctx.group }),
    });
  } finally {
    // What the proxy refused is on record right after the command, whatever became of it.
    await network.flush();
  }
  await ctx.audit.record("command", {
    purpose,
    command,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
    output: clip(result.output, 4_000),
    ...(result.limit ? { limit: result.limit.limit } : {}),
  });
  if (result.limit) {
    await ctx.audit.record("sandbox.limit", { purpose, command, ...result.limit });
  }
  if (result.aborted) throw new RunFailure("the run was cancelled.", "cancelled");
  return result;
}
