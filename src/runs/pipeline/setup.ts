// The setup stage: the repository config's setup commands, run by the harness
// in the sandbox with the run's own environment and the allowlisted network,
// before the agent starts, on the files of the commit the run starts from (a
// resumed run's checkpoint diff is applied after it, see run-pipeline.ts). A
// command that fails fails the run, in words naming the command.
import { commandEnvironment } from "../../sandbox/sandbox.ts";
import { RunFailure } from "../failure.ts";
import { runHarnessCommand, type HarnessCommandContext } from "../harness-commands.ts";
import type { NetworkReport } from "../network-report.ts";
import type { Workspace } from "../prepare-workspace.ts";
import type { Attempt } from "./attempt.ts";

export interface SetUp {
  /** The environment every command of the run gets (never the app's own). */
  env: Record<string, string>;
  harness: HarnessCommandContext;
}

export async function setupStage(
  a: Attempt,
  workspace: Workspace,
  network: NetworkReport,
): Promise<SetUp> {
  const { dirs } = workspace;
  const env = commandEnvironment({ home: dirs.home, tmpdir: dirs.tmp, extra: a.run.config.env });
  const harness: HarnessCommandContext = {
    sandbox: a.deps.sandbox,
    audit: a.audit,
    dirs,
    env,
    timeoutMs: a.deps.commandTimeoutMs,
    signal: a.control.signal,
    group: a.run.id,
  };
  a.phase = "running the setup commands";
  for (const command of a.run.config.setup) {
    const result = await runHarnessCommand(harness, command, "setup", network);
    if (result.exitCode !== 0) {
      const how = result.limit
        ? `was stopped by the sandbox's ${result.limit.limit} limit`
        : result.timedOut
          ? "timed out"
          : `exited with code ${String(result.exitCode)}`;
      throw new RunFailure(`the setup command \`${command}\` ${how}.`);
    }
  }
  return { env, harness };
}
