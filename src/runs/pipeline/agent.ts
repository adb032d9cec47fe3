// The agent stage: the milestones (commit, approval gate, push) wired to the
// run's branch, then the agent's session driven to its stop, resumed from the
// last step checkpoint with the answer or decision it waited for, and a step
// checkpoint written after every step. A run resumed after its agent finished
// skips the session and keeps the outcome it stored.
import type { HumanPort, MilestonePort } from "../../agent/ports.ts";
import type { ModelPort } from "../../model/types.ts";
import type { AgentOutcome } from "../../store/types.ts";
import { runAgentSession } from "../agent-session.ts";
import {
  createApprovalGate,
  firstHold,
  resumeDecision,
  rollbackWorktree,
} from "../approval-gate.ts";
import { createChecksRunner } from "../checks.ts";
import { BOT, coAuthorOf } from "../commits.ts";
import { createMilestones, pushToBranch, signedBy } from "../milestone.ts";
import { issueDiscussion } from "../issue-discussion.ts";
import { createHumanPort } from "../pause.ts";
import { createSecretGate } from "../push-scan.ts";
import { agentResume, recordRetriedStep } from "../resume.ts";
import { spentOf } from "../run-end.ts";
import type { NetworkReport } from "../network-report.ts";
import { createStepCheckpointer } from "../step-checkpoint.ts";
import { spendGateFor } from "../spend-limits.ts";
import { freezing } from "../frozen.ts";
import { recordLeftOut } from "../left-out.ts";
import { WorkingTree } from "../../workspace/working-tree.ts";
import type { Attempt } from "./attempt.ts";
import type { SetUp } from "./setup.ts";
import type { Prepared } from "./workspace.ts";

export interface Worked {
  agent: AgentOutcome;
  milestones: MilestonePort;
  human: HumanPort;
}

export async function agentStage(
  a: Attempt,
  model: ModelPort,
  prepared: Prepared,
  setup: SetUp,
  network: NetworkReport,
): Promise<Worked> {
  a.phase = "working with the model";
  const milestones = milestonesOf(a, prepared);
  const human = createHumanPort({ github: a.github, audit: a.audit, run: a.run });
  const agent =
    a.run.agentOutcome ??
    (await runSession(a, { model, prepared, setup, network, milestones, human }));
  return { agent, milestones, human };
}

async function runSession(
  a: Attempt,
  session: { model: ModelPort; prepared: Prepared; setup: SetUp; network: NetworkReport } & Omit<
    Worked,
    "agent"
  >,
): Promise<AgentOutcome> {
  const { store, control, run } = a;
  const { model, prepared, setup, network, milestones, human } = session;
  const { checkpoint, round, baseSha } = prepared;
  const { dirs } = prepared.workspace;
  const resume = agentResume(
    checkpoint,
    checkpoint && (await store.pauses.pendingAnswer(run.id, checkpoint.step)),
    await resumeDecision(store, run.id),
  );
  // Watched for the whole session: a step that changed nothing costs no git at all.
  const tree = await WorkingTree.open(dirs.worktree, {
    frozen: freezing(a.deps.sandbox, run.id),
    onLeftOut: recordLeftOut(a.audit),
  });
  control.enterAgent();
  try {
    const events = await store.audit.events(run.id);
    await recordRetriedStep(a.audit, events, resume?.step ?? 0, run.attempts);
    return await runAgentSession({
      run,
      limits: a.deps.limits,
      spendGate: spendGateFor(store, run, a.deps.limits),
      model,
      sandbox: a.deps.sandbox,
      audit: a.audit,
      dirs,
      env: setup.env,
      commandTimeoutMs: a.deps.commandTimeoutMs,
      maxTokens: a.deps.maxTokens,
      signal: control.signal,
      tracer: a.deps.tracer,
      baseSha,
      tree,
      checks: createChecksRunner({
        ...setup.harness,
        group: run.id,
        worktree: dirs.worktree,
        outputDir: dirs.outputs,
        commands: { build: run.config.build, test: run.config.test, lint: run.config.lint },
      }),
      milestones,
      memory: store.memory.port(`${run.owner}/${run.repo}`, run.id, a.workerId ?? undefined),
      human,
      progress: a.surface.progress,
      // The agent's commands get the allowlisted network only where the repository asks.
      ...(run.config.network.agent ? { network: network.grant("agent") } : {}),
      onStep: afterEach(
        // First: a draining run stops at its checkpoint, and this step's spend counts all the same.
        (c) => Promise.resolve(a.deps.onSpent?.(spentOf(c.step, c.state))),
        createStepCheckpointer({
          store,
          runId: run.id,
          workerId: a.workerId ?? "",
          tree,
          control,
          worktree: dirs.worktree,
        }),
        (c) => a.surface.step(c.step, c.state),
        () => network.flush(),
      ),
      resume,
      ...(round
        ? { task: round.task, taskTools: round.tools, beforeDone: round.beforeDone }
        : { discussion: await issueDiscussion(run, { store, github: a.github, audit: a.audit }) }),
    });
  } finally {
    control.leaveAgent();
    await tree.close();
    await network.flush();
  }
}

/** Commits with the audit trailer, gated by the approval policy, and pushed to the run's branch. */
function milestonesOf(a: Attempt, prepared: Prepared): MilestonePort {
  const { store, audit, run } = a;
  const { dirs, url, token, branch, lease, defaultBranch: base } = prepared.workspace;
  const frozen = freezing(a.deps.sandbox, run.id);
  const { redactor } = a;
  return createMilestones({
    frozen,
    worktree: dirs.worktree,
    author: BOT,
    coAuthor: coAuthorOf(run),
    audit,
    auditHead: () => store.audit.head(run.id),
    ...(a.deps.auditSigner ? { signHead: a.deps.auditSigner.sign } : {}),
    // A dry run pushes nothing, so it has nothing to ask approval for. A secret is asked first.
    gate: run.dryRun
      ? undefined
      : firstHold(
          createSecretGate({ store, runId: run.id, worktree: dirs.worktree, audit, redactor }),
          createApprovalGate({
            store,
            runId: run.id,
            worktree: dirs.worktree,
            policy: run.config.approvals,
            audit,
          }),
        ),
    rollback: (signal) =>
      frozen(() =>
        rollbackWorktree({ store, runId: run.id, worktree: dirs.worktree, audit, signal }),
      ),
    publish: async (sha, signal, committed) => {
      // A dry run keeps its commits in its own worktree: no branch, no pull request, no check.
      if (run.dryRun) {
        await committed?.(sha);
        return void (await audit.record("commit.kept_local", { sha }));
      }
      const before = (await store.runs.mustGet(run.id)).headSha;
      // A push may replay the commit on others' work (a rebase in the worktree): frozen too.
      const pushed = await frozen(() =>
        pushToBranch({
          store,
          runId: run.id,
          worktree: dirs.worktree,
          audit,
          url,
          lease,
          token,
          redactor,
          ...(prepared.round ? { shared: { committer: BOT } } : {}),
          ...signedBy(run, a.github),
        })(sha, signal, committed),
      );
      // The draft pull request opens at the first push; the check follows the head.
      await a.surface.pushed({ sha: pushed, before, branch, base });
      return pushed;
    },
  });
}

/** `first`, then `then`, on each step. */
function afterEach<T>(...each: ((value: T) => Promise<void>)[]): (value: T) => Promise<void> {
  return async (value) => {
    for (const fn of each) await fn(value);
  };
}
