// The `run_checks` tool: the repository's configured build, test and lint
// commands, each with a pass or fail and the output of the ones that failed.
// The model may run them as often as it likes; whether the work passed is
// still decided by the harness, which runs them itself.
import type { ChecksPort, Tool, ToolOutcome } from "../ports.ts";
import { checksText } from "../checks-text.ts";

export function createRunChecksTool(checks: ChecksPort): Tool {
  return {
    definition: {
      name: "run_checks",
      description:
        "Run the repository's configured checks (build, then test and lint) in the worktree, and get a pass or fail for each with the output of the ones that failed. The same commands the harness runs to verify your work.",
      input_schema: { type: "object", properties: {} },
    },
    async execute(_input, signal): Promise<ToolOutcome> {
      const report = await checks.run("agent", signal);
      return {
        output: checksText(report),
        // A failing check is an answer, not a failed call; a cancelled one is.
        isError: report.aborted,
        details: {
          passed: report.passed,
          checks: report.checks.map((c) => ({
            name: c.name,
            passed: c.passed,
            exitCode: c.exitCode,
          })),
        },
      };
    },
  };
}
