// `/stamina status`: one comment, short, with the last run's state and phase,
// what it spent of its budget, the link to follow it (its pull request, else
// its tracking comment) and its branch's checkpoints, numbered as `/stamina
// rollback` takes them. An issue with no run gets a comment that says so.
import { describeSpend } from "../../agent/budget.ts";
import { describePhase } from "../../agent/phase.ts";
import { describeCheckpoints, loadCheckpoints } from "../../store/branch-checkpoints.ts";
import type { Run } from "../../store/types.ts";
import type { CommandContext, CommandHandler } from "./context.ts";

export const status: CommandHandler = async (command) => {
  const { deps, where, number, by } = command;
  const run = await deps.store.rollbacks.lastRunOn(where.owner, where.repo, number);
  const body = run
    ? await describeRun(command, run)
    : `${by} Stamina has no run on this ${command.onPullRequest ? "pull request" : "issue"}. A writer starts one with Stamina's label or \`/stamina run\`.`;
  await command.octokit.rest.issues.createComment({ ...where, issue_number: number, body });
  return "done";
};

const NOTHING = { tokens: 0, dollars: 0, elapsedMs: 0 };

async function describeRun(command: CommandContext, run: Run): Promise<string> {
  const { deps, where, number, by } = command;
  const saved = await deps.store.checkpoints.load(run.id);
  const steps = Math.max(run.stepsUsed, saved?.step ?? 0);
  const spent = run.agentOutcome?.spent ?? saved?.state.spent;
  const phase = run.agentOutcome?.phase ?? saved?.state.phase;
  const checkpoints = await loadCheckpoints(deps.store, run);
  const rolling = await deps.store.runs.activeOn(where.owner, where.repo, run.issueNumber);
  const state = run.state.replace(/_/g, " ");
  return [
    `${by} Stamina's status on ${number === run.issueNumber ? "this issue" : `issue #${run.issueNumber}`}:`,
    "",
    `- **State:** ${state}${run.outcome ? ` (${run.outcome})` : ""}${rolling?.kind === "rollback" ? "; a rollback is under way" : ""}`,
    `- **Phase:** ${phase ? describePhase(phase) : "not started"}`,
    `- **Budget spent:** ${describeSpend(run.config.budget, steps, spent ?? NOTHING)}`,
    `- **Run:** ${linkOf(command, run)}${run.branch ? ` on branch \`${run.branch}\`` : ""}`,
    "",
    "**Checkpoints** (`/stamina rollback <number>` goes back to one):",
    "",
    describeCheckpoints(checkpoints),
  ].join("\n");
}

/** Where to follow the run: its pull request, else its tracking comment, else its issue. */
function linkOf(command: CommandContext, run: Run): string {
  if (run.pullUrl) return run.pullUrl;
  const issueUrl = `${command.context.payload.repository.html_url}/issues/${run.issueNumber}`;
  if (run.trackingCommentId !== null) {
    return `${issueUrl}#issuecomment-${run.trackingCommentId}`;
  }
  return issueUrl;
}
