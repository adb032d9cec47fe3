// After the agent stopped: a pause parks the run for a person; otherwise the
// outcome is kept (a run resumed from here goes straight to finishing), and
// the run ends by its kind: a review round answers its threads, a dry run
// posts its plan and diff, and an issue's run commits what it did and opens
// its pull request (publish.ts). Whatever stopped the loop, the work so far
// is committed, pushed and described.
import { currentHead } from "../../workspace/git.ts";
import type { Run } from "../../store/types.ts";
import { finalMilestone } from "../approval-gate.ts";
import { finalCommitMessage } from "../../agent/commit-message.ts";
import { RunFailure } from "../failure.ts";
import { finishDryRun } from "../kinds/dry-run.ts";
import { finishRound } from "../kinds/finish-round.ts";
import { parkRun } from "../pause.ts";
import type { Worked } from "./agent.ts";
import type { Attempt } from "./attempt.ts";
import { publishStage } from "./publish.ts";
import type { Prepared } from "./workspace.ts";

export async function finishStage(a: Attempt, prepared: Prepared, worked: Worked): Promise<Run> {
  const { store, audit, surface } = a;
  const { agent } = worked;
  if (agent.stop === "aborted") throw new RunFailure("the run was cancelled.", "cancelled");
  if (agent.stop === "paused" && agent.pause) {
    // Not kept as the outcome: the answered run resumes the loop from its last checkpoint.
    a.run = await store.runs.update(a.run.id, { stepsUsed: agent.steps });
    await surface.say({ kind: "waiting", reason: agent.pause.reason });
    return await parkRun(store, audit, a.run, a.workerId, agent.pause);
  }
  // Kept, so a run resumed from here on goes straight to finishing.
  a.run = await store.runs.update(a.run.id, { stepsUsed: agent.steps, agentOutcome: agent });
  if (agent.stop === "refusal") throw new RunFailure("the model declined to work on this issue.");
  if (prepared.round) {
    a.phase = "answering the review";
    const ended = await finishRound({
      ...a.gh,
      run: a.run,
      round: prepared.round,
      agent,
      milestones: worked.milestones,
      human: worked.human,
      park: async (held) => {
        await surface.say({ kind: "waiting", reason: held.reason });
        return parkRun(store, audit, a.run, a.workerId, held);
      },
      surface,
      signal: a.control.signal,
    });
    // Parked for an approval, the round keeps its workspace, as an issue's run does.
    if (ended.state === "awaiting_approval") return ended;
    await a.release();
    return ended;
  }
  return finishIssueRun(a, prepared, worked);
}

async function finishIssueRun(a: Attempt, prepared: Prepared, worked: Worked): Promise<Run> {
  const { store, audit, surface } = a;
  const { agent } = worked;
  const { worktree } = prepared.workspace.dirs;
  a.run = await store.runs.update(a.run.id, { state: "finishing" });
  a.phase = "committing the change";
  const last = await finalMilestone({
    store,
    runId: a.run.id,
    milestones: worked.milestones,
    human: worked.human,
    // Named from the files the commit holds: no second look over the whole tree for them.
    message: (files) => finalCommitMessage(agent, files),
    signal: a.control.signal,
  });
  if (last.held) {
    await surface.say({ kind: "waiting", reason: last.held.reason });
    return await parkRun(store, audit, a.run, a.workerId, last.held);
  }
  if (a.run.dryRun) {
    const { state, outcome } = await finishDryRun({
      run: a.run,
      agent,
      worktree,
      baseSha: prepared.baseSha,
      github: a.github,
      audit,
      say: surface.say,
      signal: a.control.signal,
    });
    await a.release();
    return await store.runs.finish(a.run.id, state, outcome);
  }
  if ((await currentHead(worktree)) === prepared.baseSha) {
    if (agent.stop === "no_change") return finishNoChange(a, agent);
    throw new RunFailure("the agent finished without changing any file.");
  }
  a.run = await store.runs.mustGet(a.run.id);
  return publishStage(a, prepared.workspace, agent);
}

/** The model changed nothing and said why: no pull request, and the issue's comment says so. */
async function finishNoChange(a: Attempt, agent: Worked["agent"]): Promise<Run> {
  a.phase = "saying no change is needed";
  a.surface.verified(agent.verification);
  await a.surface.say({ kind: "no_change", reason: agent.summary });
  const outcome = "no change needed";
  await a.audit.record("run.finished", { state: "succeeded", outcome });
  await a.surface.publishAudit();
  await a.release();
  return await a.store.runs.finish(a.run.id, "succeeded", outcome);
}
