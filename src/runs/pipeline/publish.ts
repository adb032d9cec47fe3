// The publish stage of an issue's run: the pull request finished (ready for
// review only when the harness's verification passed and no test was
// weakened; otherwise a draft that says why), the tracking comment and the
// check say so, and the run's last event is followed by the audit log's check
// runs before the run ends.
import { describeSpend } from "../../agent/budget.ts";
import { inlineText } from "../../audit/markdown.ts";
import type { RunState } from "../../store/schema.ts";
import type { AgentOutcome, Run } from "../../store/types.ts";
import { costOf, costSection, pullRequestCost } from "../../surface/cost.ts";
import { finishPullRequest } from "../../surface/pull-request.ts";
import type { Workspace } from "../prepare-workspace.ts";
import type { Attempt } from "./attempt.ts";

export async function publishStage(
  a: Attempt,
  workspace: Workspace,
  agent: AgentOutcome,
): Promise<Run> {
  const { run, surface } = a;
  const finished = agent.stop === "completed";
  const draftBecause = draftReason(agent);
  const draft = draftBecause !== undefined;
  a.phase = "finishing the pull request";
  surface.verified(agent.verification);
  const pr = await finishPullRequest(a.gh, {
    branch: workspace.branch,
    base: workspace.defaultBranch,
    worktree: workspace.dirs.worktree,
    summary: agent.summary,
    verification: agent.verification,
    stopNote: finished || agent.stop === "cannot_fix" ? null : agent.message,
    draftBecause,
    testWeakening: agent.testWeakening,
    spend: describeSpend(agent.budget ?? run.config.budget, agent.steps, agent.spent),
    cost: costSection(await pullRequestCost(a.store, run, { live: costOf(agent) })),
  });
  await surface.say({ kind: "opened", pullUrl: pr.url, verified: !draft, draftBecause });

  const state: RunState = finished
    ? "succeeded"
    : agent.stop === "cannot_fix"
      ? "failed"
      : "out_of_budget";
  const outcome = draft
    ? `pull request opened as a draft${agent.stop === "cannot_fix" ? ": checks it cannot fix" : ""}`
    : "pull request opened, verification passed";
  await a.audit.record("run.finished", { state, outcome });
  await surface.publishAudit();
  await a.release();
  return await a.store.runs.finish(run.id, state, outcome);
}

/** Why the pull request stays a draft, in words for its body; undefined when it is ready. */
function draftReason(agent: AgentOutcome): string | undefined {
  if (agent.stop === "cannot_fix") {
    // The reason may be the model's words: one line, with nothing in it that renders or notifies.
    return `the checks still fail and Stamina stopped: ${inlineText(agent.reason ?? agent.message, 500)}`;
  }
  if (agent.stop !== "completed") {
    // Which budget or limit stopped it, where one did: the tracking comment says it too.
    const why = agent.budgetStop?.message.replace(/; this is the work so far\.$/, "");
    return why === undefined
      ? "it stopped before it finished"
      : `it stopped before it finished (${why})`;
  }
  if (agent.verification?.configured === false) {
    return "no checks are configured, so nothing was verified";
  }
  if (agent.verification?.passed !== true) return "verification did not pass";
  if (agent.testWeakening.length > 0) return "the change deletes or weakens tests";
  return undefined;
}
