// Commands the harness runs itself, not the agent: the setup commands and the
// verification whose result decides the pull request, each an audit event.
import { clip } from "../agent/loop.ts";
import type { AuditSink } from "../agent/ports.ts";
import type { Sandbox } from "../workspace/sandbox.ts";
import { RunFailure } from "./failure.ts";
import type { Verification } from "./report.ts";
import type { RunDirectories } from "./run-directories.ts";

/** How much of a failing verification's output the pull request shows. */
const OUTPUT_TAIL = 3_000;

export interface HarnessCommandContext {
  sandbox: Sandbox;
  audit: AuditSink;
  dirs: RunDirectories;
  env: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
}

export async function runHarnessCommand(
  ctx: HarnessCommandContext,
  command: string,
  purpose: "setup" | "verify",
) {
  const result = await ctx.sandbox.run({
    command,
    cwd: ctx.dirs.worktree,
    env: ctx.env,
    // Setup installs dependencies; verification runs offline like the agent's own commands.
    network: purpose === "setup",
    timeoutMs: ctx.timeoutMs,
    outputDir: ctx.dirs.outputs,
    signal: ctx.signal,
  });
  await ctx.audit.record("command", {
    purpose,
    command,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
    output: clip(result.output, 4_000),
  });
  if (result.aborted) throw new RunFailure("the run was cancelled.", "cancelled");
  return result;
}

/** Runs the configured test command; its exit code, not the model's word, decides. */
export async function verify(
  ctx: HarnessCommandContext,
  command: string | null,
): Promise<Verification> {
  if (command === null) {
    await ctx.audit.record("verify.skipped", { reason: "no test command configured" });
    return { command: null, passed: false, exitCode: null, output: "" };
  }
  const result = await runHarnessCommand(ctx, command, "verify");
  const verification: Verification = {
    command,
    passed: result.exitCode === 0 && !result.timedOut,
    exitCode: result.exitCode,
    output: result.output.slice(-OUTPUT_TAIL),
  };
  await ctx.audit.record("verify.result", {
    command,
    passed: verification.passed,
    exitCode: result.exitCode,
  });
  return verification;
}
