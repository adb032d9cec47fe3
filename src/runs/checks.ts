// The repository's checks (build, then test and lint) as the checks port:
// each in a fresh sandboxed command (never the agent's shell, whose aliases
// and PATH the model controls), offline, with a structured result. The agent's
// run_checks tool and the harness's verification both come here.
import type { CheckName, CheckResult, ChecksPort, ChecksReport } from "../agent/ports.ts";
import type { AuditSink } from "../agent/ports.ts";
import { clip } from "../agent/turn.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";

/** How much of a failing check's output the model and the pull request get; the rest is in a file. */
const FAILED_OUTPUT_CHARS = 10_000;

export interface ChecksRunnerOptions {
  sandbox: Sandbox;
  audit: AuditSink;
  worktree: string;
  outputDir: string;
  env: Record<string, string>;
  timeoutMs: number;
  commands: Record<CheckName, string | null>;
  /** The run's id: checks share the run's limits (see harness-commands.ts). */
  group?: string;
}

const ORDER: CheckName[] = ["build", "test", "lint"];

/** The `command` event's purpose for each asker. */
const PURPOSES = { agent: "check", harness: "verify", baseline: "baseline" } as const;

export function createChecksRunner(options: ChecksRunnerOptions): ChecksPort {
  return {
    async run(purpose, signal, only): Promise<ChecksReport> {
      const configured = ORDER.filter(
        (name) => options.commands[name] !== null && (only === undefined || only.includes(name)),
      );
      const report: ChecksReport = {
        configured: configured.length > 0,
        passed: false,
        aborted: false,
        checks: [],
      };
      let buildFailed = false;
      for (const name of configured) {
        const command = options.commands[name] ?? "";
        if (buildFailed) {
          report.checks.push(skipped(name, command, "the build failed"));
          continue;
        }
        const result = await options.sandbox.run({
          command,
          cwd: options.worktree,
          env: options.env,
          network: false,
          timeoutMs: options.timeoutMs,
          outputDir: options.outputDir,
          signal,
          ...(options.group === undefined ? {} : { group: options.group }),
        });
        const passed = result.exitCode === 0 && !result.timedOut && !result.aborted;
        await options.audit.record("command", {
          purpose: PURPOSES[purpose],
          check: name,
          command,
          exitCode: result.exitCode,
          timedOut: result.timedOut,
          durationMs: result.durationMs,
          output: clip(result.output, 4_000),
          ...(result.limit ? { limit: result.limit.limit } : {}),
        });
        if (result.limit) {
          await options.audit.record("sandbox.limit", {
            purpose: "check",
            command,
            ...result.limit,
          });
        }
        if (result.aborted) return { ...report, aborted: true };
        // A limit's words go with the output: the model and the pull request see why it stopped.
        const output = result.limit ? `${result.output}\n[${result.limit.message}]` : result.output;
        report.checks.push({
          name,
          command,
          passed,
          skipped: null,
          exitCode: result.exitCode,
          timedOut: result.timedOut,
          durationMs: result.durationMs,
          output: passed ? "" : clip(output, FAILED_OUTPUT_CHARS),
          fullOutputPath: passed ? null : result.fullOutputPath,
        });
        if (name === "build" && !passed) buildFailed = true;
      }
      report.passed = report.configured && report.checks.every((c) => c.passed);
      return report;
    },
  };
}

function skipped(name: CheckName, command: string, reason: string): CheckResult {
  return {
    name,
    command,
    passed: false,
    skipped: reason,
    exitCode: null,
    timedOut: false,
    durationMs: 0,
    output: "",
    fullOutputPath: null,
  };
}
