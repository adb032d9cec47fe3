// The Anthropic-defined `bash` tool: one persistent shell per run, inside the
// sandbox (the worktree, the allowlisted environment, no network unless the
// repository's config grants the allowlisted one), a time
// limit per command, and long output cut head-and-tail with the whole of it
// saved in the run's folder, where the model can read it. A sandbox limit the
// command hit is a note for the model and a fact in the details.
import { z } from "zod";
import { safetyEvent } from "../../audit/safety.ts";
import type { NetworkGrant, Sandbox } from "../../sandbox/sandbox.ts";
import { PersistentShell } from "../../sandbox/shell.ts";
import type { AuditSink, Tool, ToolOutcome } from "../ports.ts";
import { structuralAttempts } from "./bash-attempts.ts";
import { flag, parseToolInput } from "./input.ts";

const bashInput = z.object({
  command: z
    .string()
    .refine((c) => !c.includes("\0"), "the command must not contain a NUL character")
    .optional(),
  restart: flag.optional(),
});

export interface BashToolOptions {
  sandbox: Sandbox;
  worktree: string;
  env: Record<string, string>;
  outputDir: string;
  timeoutMs: number;
  /** The run was resumed: the first shell is not the one earlier commands ran in. */
  resumed?: boolean;
  /** How long a timed-out command has to die before its shell is replaced. */
  graceMs?: number;
  /** The run's id: the sandbox's per-run limits, freeze and release go by it. */
  group?: string;
  /** The egress proxy's grant (`network.agent`); none: no network. */
  network?: NetworkGrant;
  /** Where a command that tries what the sandbox blocks by its structure is a `safety` event. */
  audit?: AuditSink;
}

export function createBashTool(options: BashToolOptions): Tool {
  const shell = new PersistentShell({
    sandbox: options.sandbox,
    cwd: options.worktree,
    env: options.env,
    outputDir: options.outputDir,
    graceMs: options.graceMs,
    ...(options.group === undefined ? {} : { group: options.group }),
    ...(options.network === undefined ? {} : { network: options.network }),
  });
  let announcedResume = !options.resumed;
  return {
    definition: { type: "bash_20250124", name: "bash" },
    close: () => shell.close(),
    async execute(rawInput, signal): Promise<ToolOutcome> {
      const parsed = parseToolInput("bash", bashInput, rawInput);
      if (!parsed.ok) return parsed.outcome;
      const { command, restart } = parsed.data;
      if (restart) {
        await shell.restart();
        announcedResume = true;
        return {
          output: `The shell was restarted: a new bash in ${options.worktree}, with the starting environment.`,
          isError: false,
        };
      }
      if (!command?.trim()) {
        return { output: "Invalid input for bash: `command` is required.", isError: true };
      }
      await recordAttempts(options, command);
      const result = await shell.run(command, { timeoutMs: options.timeoutMs, signal });
      const notes: string[] = [];
      if (!announcedResume) {
        announcedResume = true;
        notes.push(
          "[This is a new shell: the run was resumed, so a working directory or variables set before are gone.]",
        );
      }
      if (result.timedOut) {
        notes.push(
          `[The command was stopped after ${Math.round(options.timeoutMs / 1000)} s, the time limit of one command.]`,
        );
      }
      if (result.aborted) notes.push("[The command was cancelled.]");
      if (result.exitCode !== null && result.exitCode !== 0) {
        notes.push(`[exit code ${result.exitCode}]`);
      }
      if (result.note !== null) notes.push(`[${result.note}]`);
      if (result.limit !== null) notes.push(`[${result.limit.message}]`);
      const output = [result.output, ...notes].filter((s) => s.length > 0).join("\n");
      return {
        output: output.length > 0 ? output : "(no output)",
        isError: result.timedOut || result.aborted || result.limit !== null,
        details: {
          exitCode: result.exitCode,
          timedOut: result.timedOut,
          durationMs: result.durationMs,
          totalBytes: result.totalBytes,
          fullOutputPath: result.fullOutputPath,
          ...(result.shellEnded ? { shellEnded: true } : {}),
          ...(result.limit !== null ? { limit: result.limit } : {}),
        },
      };
    },
  };
}

/** The `safety` events of what the command tries that the sandbox blocks by its structure. */
async function recordAttempts(options: BashToolOptions, command: string): Promise<void> {
  if (options.audit === undefined) return;
  const shown = [options.worktree, options.outputDir, options.env.HOME, options.env.TMPDIR];
  const attempts = structuralAttempts(command, {
    worktree: options.worktree,
    hidden: options.sandbox.protectedPaths,
    shown: shown.filter((p): p is string => p !== undefined),
  });
  for (const { control, detail } of attempts) {
    const { type, data } = safetyEvent({ control, outcome: "blocked", detail, command });
    await options.audit.record(type, data);
  }
}
