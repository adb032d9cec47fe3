// `/stamina retry`: a new run that continues the issue's last run from its
// last step checkpoint, when that run ended failed, stopped or out of budget:
// the same branch and pull request, its transcript and agent state. The new
// run gets a whole budget again on top of what the runs before it spent (its
// budget lines count from the first run), its own tracking comment (the old
// one stays as the record of the run that ended), and its audit log says which
// run it continues. Anything else to retry gets 😕 and a comment saying why.
import type { Budget } from "../../agent/budget.ts";
import type { Spent } from "../../agent/ports.ts";
import type { RepoConfig } from "../../policy/config.ts";
import type { RunState } from "../../store/schema.ts";
import type { Run } from "../../store/types.ts";
import type { CommandContext, CommandHandler } from "./context.ts";
import { limitUsedUp } from "../../runs/spend-limits.ts";
import { startFromComment } from "./start.ts";

const RETRYABLE: readonly RunState[] = ["failed", "cancelled", "out_of_budget"];

export const retry: CommandHandler = async (command) => {
  const { deps, where, number, log } = command;
  if (command.onPullRequest) {
    log.info("/stamina retry on a pull request: runs are retried on their issue");
    return "nothing";
  }
  const last = await deps.store.retries.lastOn(where.owner, where.repo, number);
  const why = notRetryable(last);
  if (why !== null || last === undefined) {
    await explain(command, why ?? "there is no run to retry");
    log.info({ lastRun: last?.id, why }, "/stamina retry with nothing to retry");
    return "nothing";
  }
  const checkpoint = await deps.store.checkpoints.load(last.id);
  const steps = checkpoint?.step ?? last.stepsUsed;
  const spent = checkpoint?.state.spent;
  // A retry spends against the operator's limits like the run it continues: none is used up.
  const used =
    deps.limits === undefined
      ? null
      : await deps.store.spend.usedUp(last.installationId, deps.limits, spent?.dollars ?? 0);
  if (used !== null) {
    await explain(command, limitUsedUp(used));
    log.info({ lastRun: last.id, limit: used.limit }, "/stamina retry past an operator's limit");
    return "nothing";
  }
  return startFromComment(command, {
    // A retried dry run stays dry: it pushes nothing either.
    dryRun: last.dryRun || undefined,
    trigger: { command: "retry", by: command.by, continues: last.id },
    create: (input, options) =>
      deps.store.retries.create(
        last,
        { ...input, config: withFreshBudget(input.config, steps, spent) },
        options,
      ),
  });
};

/** Why the issue's last run cannot be retried, or null when it can. */
function notRetryable(last: Run | undefined): string | null {
  if (last === undefined) return "this issue has no run to retry; `/stamina run` starts one";
  if (!RETRYABLE.includes(last.state)) {
    return last.state === "succeeded"
      ? "the last run on this issue succeeded, so there is nothing to retry; `/stamina run` starts a new one"
      : `a run is still going on this issue (${last.state.replaceAll("_", " ")}); \`/stamina stop\` stops it`;
  }
  return null;
}

async function explain(command: CommandContext, why: string): Promise<void> {
  await command.octokit.rest.issues.createComment({
    ...command.where,
    issue_number: command.number,
    body: `${command.by}: Stamina did not retry: ${why}.`,
  });
}

/** What the config allows, plus what the earlier runs spent, so the retry may spend it all again. */
function withFreshBudget(
  config: RepoConfig,
  stepsDone: number,
  spent: Spent | undefined,
): RepoConfig {
  const b: Budget = config.budget;
  return {
    ...config,
    budget: {
      steps: Math.min(10_000, b.steps + stepsDone),
      tokens: Math.min(1_000_000_000, b.tokens + (spent?.tokens ?? 0)),
      dollars: Math.min(10_000, Math.ceil((b.dollars + (spent?.dollars ?? 0)) * 100) / 100),
      minutes: Math.min(7 * 24 * 60, b.minutes + Math.ceil((spent?.elapsedMs ?? 0) / 60_000)),
    },
  };
}
