// `/stamina rollback [checkpoint]`: queues a rollback of the run's branch to
// one of its checkpoints (a number as `/stamina status` lists them, a commit
// of 7 or more hex digits, or by default the last one whose verification
// passed). A worker does it (src/runs/rollback-run.ts): a new commit, never a
// force-push. Refused in words here: no run or branch yet, a run still
// active (stop it first), a checkpoint the branch does not have.
import { loadCheckpoints, chooseCheckpoint } from "../../store/branch-checkpoints.ts";
import type { Run } from "../../store/types.ts";
import type { CommandContext, CommandHandler } from "./context.ts";

export const rollback: CommandHandler = async (command) => {
  const { deps, context, where, number, by, args, log } = command;
  const run = await deps.store.rollbacks.lastRunOn(where.owner, where.repo, number, {
    pushed: true,
  });
  const active = await activeRun(command, run);
  if (active) {
    const what = active.kind === "rollback" ? "A rollback" : "A Stamina run";
    await answer(
      command,
      `${by} ${what} is still active on this issue (${active.state.replace(/_/g, " ")}). Stop it first with \`/stamina stop\`, then ask for the rollback again.`,
    );
    return "nothing";
  }
  if (!run?.branch || run.headSha === null) {
    const what = command.onPullRequest ? "pull request" : "issue";
    await answer(
      command,
      `${by} there is nothing to roll back: Stamina has not pushed a branch for this ${what} yet.`,
    );
    return "nothing";
  }
  const choice = chooseCheckpoint(await loadCheckpoints(deps.store, run), args);
  if (!choice.ok) {
    await answer(command, `${by} ${choice.problem}`);
    return "nothing";
  }
  const sender = context.payload.sender;
  const queued = await deps.store.rollbacks.request(
    run,
    {
      toSha: choice.checkpoint.sha,
      checkpoint: choice.checkpoint.number,
      askedOn: number,
      requestedBy: by,
    },
    { deliveryId: context.id, login: sender.login, loginId: sender.id },
  );
  if (!queued.created) {
    await answer(
      command,
      `${by} a run is still active on this issue. Stop it first with \`/stamina stop\`, then ask for the rollback again.`,
    );
    return "nothing";
  }
  log.info({ runId: queued.run.id, target: run.id, to: choice.checkpoint.sha }, "rollback queued");
  deps.onRunQueued?.(queued.run);
  return "done";
};

/** The active run on the issue, on its pull request, or where the command was asked. */
async function activeRun(command: CommandContext, run: Run | undefined): Promise<Run | undefined> {
  const { deps, where, number } = command;
  const numbers = new Set([number]);
  if (run) numbers.add(run.issueNumber);
  if (run?.pullNumber) numbers.add(run.pullNumber);
  for (const n of numbers) {
    const active = await deps.store.runs.activeOn(where.owner, where.repo, n);
    if (active) return active;
  }
  return undefined;
}

async function answer(command: CommandContext, body: string): Promise<void> {
  await command.octokit.rest.issues.createComment({
    ...command.where,
    issue_number: command.number,
    body,
  });
}
