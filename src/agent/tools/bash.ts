// The Anthropic-defined `bash` tool, run through the sandbox: the worktree as
// its directory, the allowlisted environment, no network, a timeout.
import { z } from "zod";
import type { Sandbox } from "../../workspace/sandbox.ts";
import type { Tool, ToolOutcome } from "../ports.ts";

const bashInput = z.object({
  command: z.string().optional(),
  restart: z
    .union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")])
    .optional(),
});

export interface BashToolOptions {
  sandbox: Sandbox;
  worktree: string;
  env: Record<string, string>;
  outputDir: string;
  timeoutMs: number;
}

export function createBashTool(options: BashToolOptions): Tool {
  return {
    definition: { type: "bash_20250124", name: "bash" },
    async execute(rawInput, signal): Promise<ToolOutcome> {
      const parsed = bashInput.safeParse(rawInput);
      if (!parsed.success) {
        return {
          output: `Invalid input for bash: ${z.prettifyError(parsed.error)}`,
          isError: true,
        };
      }
      const { command, restart } = parsed.data;
      // Every command starts a fresh shell in the worktree, so a restart has nothing to reset.
      if (restart) return { output: "The shell was restarted.", isError: false };
      if (!command?.trim()) {
        return { output: "Invalid input for bash: `command` is required.", isError: true };
      }
      const result = await options.sandbox.run({
        command,
        cwd: options.worktree,
        env: options.env,
        network: false,
        timeoutMs: options.timeoutMs,
        outputDir: options.outputDir,
        signal,
      });
      const notes: string[] = [];
      if (result.timedOut) {
        notes.push(`[the command was stopped after ${Math.round(options.timeoutMs / 1000)} s]`);
      }
      if (result.aborted) notes.push("[the command was cancelled]");
      if (result.exitCode !== null && result.exitCode !== 0) {
        notes.push(`[exit code ${result.exitCode}]`);
      }
      const output = [result.output, ...notes].filter((s) => s.length > 0).join("\n");
      return {
        output: output.length > 0 ? output : "(no output)",
        isError: result.timedOut || result.aborted,
        details: {
          exitCode: result.exitCode,
          timedOut: result.timedOut,
          durationMs: result.durationMs,
          totalBytes: result.totalBytes,
          fullOutputPath: result.fullOutputPath,
        },
      };
    },
  };
}
