// One run from claim to pull request: workspace (fresh, or restored from the
// last step checkpoint), setup, agent, harness-run verification, commit with
// the audit trailer, push, pull request, and the tracking comment. Every step
// leaves an audit event; how an interrupted attempt ends is in settle-run.ts.
import type { AuditSink } from "../agent/ports.ts";
import type { ModelPort } from "../model/types.ts";
import { ModelUnavailableError } from "../model/errors.ts";
import type { Logger } from "../observability/logger.ts";
import { describeSpend } from "../agent/budget.ts";
import { currentHead } from "../workspace/git.ts";
import { commandEnvironment, type Sandbox } from "../workspace/sandbox.ts";
import { STAMINA_VERSION } from "../version.ts";
import { runAgentSession } from "./agent-session.ts";
import { RunFailure } from "./failure.ts";
import { createChecksRunner } from "./checks.ts";
import { BOT, coAuthorOf, commitMessage } from "./commits.ts";
import { runHarnessCommand, type HarnessCommandContext } from "./harness-commands.ts";
import { CancelRequested } from "./interruptions.ts";
import { createMilestones, pushToBranch } from "./milestone.ts";
import {
  createApprovalGate,
  finalMilestone,
  resumeDecision,
  rollbackWorktree,
} from "./approval-gate.ts";
import { createHumanPort, parkRun } from "./pause.ts";
import type { GitHubPort, RepoRef } from "../github/types.ts";
import { prepareWorkspace, type Workspace } from "./prepare-workspace.ts";
import { finishDryRun } from "./kinds/dry-run.ts";
import { releaseWorkspace } from "./release-workspace.ts";
import { agentResume, recordRetriedStep } from "./resume.ts";
import { executeRollback } from "./kinds/rollback.ts";
import { RunControl } from "./run-control.ts";
import type { RunState } from "../store/schema.ts";
import { DEFAULT_RETRY, settleRun } from "./settle-run.ts";
import { createStepCheckpointer } from "./step-checkpoint.ts";
import type { Store } from "../store/store.ts";
import { refuseForkPullRequest } from "./kinds/fork-guard.ts";
import { beginFollowUp, prepareRound, type Round } from "./kinds/follow-up.ts";
import { endEmptyRound, finishRound } from "./kinds/finish-round.ts";
import { finishPullRequest, openDraft } from "../surface/pull-request.ts";
import { redactWrites } from "../surface/redacted-github.ts";
import { createSurface } from "../surface/surface.ts";
import type { Timers } from "../surface/throttle.ts";
import { createRedactor, type Redactor } from "../observability/redact.ts";
import { quietCommands } from "../github/quiet-commands.ts";
import type { RetrySchedule } from "./transient.ts";
import type { Run } from "../store/types.ts";

export interface RunDependencies {
  store: Store;
  github: GitHubPort;
  sandbox: Sandbox;
  createModel: (modelId: string) => ModelPort;
  dataDir: string;
  /** The repository mirror cache's disk cap (STAMINA_WORKSPACE_MAX_GB); no eviction when unset. */
  workspaceMaxBytes?: number;
  commandTimeoutMs: number;
  maxTokens: number;
  log: Logger;
  /** Retries of failures that are not the agent's fault; DEFAULT_RETRY when unset. */
  retry?: RetrySchedule;
  clock?: () => Date;
  /** Every text the run writes on GitHub passes through it; a fresh one when unset. */
  redactor?: Redactor;
  /** Progress edits on GitHub at most this often (DEFAULT_PROGRESS_INTERVAL_MS when unset). */
  progressIntervalMs?: number;
  timers?: Timers;
}

/**
 * Runs (or resumes) a claimed run. `signal` stops it at once; `drain` asks it to stop at the
 * next safe point (after the current step's checkpoint) and hand the run back to the queue.
 */
export async function executeRun(
  claimed: Run,
  deps: RunDependencies,
  signal: AbortSignal,
  drain?: AbortSignal,
): Promise<Run> {
  // A `/stamina rollback` request is a run of its own kind, carried out by its own module.
  if (claimed.kind === "rollback") return executeRollback(claimed, deps, signal);
  const { store } = deps;
  const redactor = deps.redactor ?? createRedactor();
  const github = redactWrites(deps.github, (text) => quietCommands(redactor.redact(text)));
  const control = new RunControl(signal, drain);
  const ref: RepoRef = {
    installationId: claimed.installationId,
    owner: claimed.owner,
    repo: claimed.repo,
  };
  const workerId = claimed.leaseOwner;
  const audit: AuditSink = {
    record: async (type, data) => {
      // Fenced by the lease: a worker that lost the run adds nothing to its log.
      await store.audit.append(claimed.id, [{ type, data }], workerId ?? undefined);
    },
  };
  const gh = { store, github, audit, runId: claimed.id, ref };
  const surface = createSurface({
    ...gh,
    issueNumber: claimed.issueNumber,
    log: deps.log,
    intervalMs: deps.progressIntervalMs,
    timers: deps.timers,
    openDraft: (target) => openDraft(gh, target),
  });
  const say = surface.say;
  let run = claimed;
  let workspace: Workspace | undefined;
  // Once, before the run is settled in the store (and in `finally`, whatever happened).
  let released: Promise<void> | undefined;
  const releaseAttempt = () =>
    (released ??= releaseWorkspace({
      dataDir: deps.dataDir,
      run: claimed,
      maxBytes: deps.workspaceMaxBytes,
      log: deps.log,
    }));

  // Where the run was when an unexpected error stopped it, for the comment that says so.
  let phase = "preparing the workspace";
  try {
    await audit.record("run.claimed", {
      attempt: run.attempts,
      worker: workerId,
      version: STAMINA_VERSION,
    });
    if (run.cancelRequestedBy !== null) {
      throw new CancelRequested(run.cancelRequestedBy, run.cancelReason ?? "asked to stop");
    }
    phase = "choosing the model";
    const model = modelFor(deps, run.config.model);
    await refuseForkPullRequest(run, github);
    run = await beginFollowUp(run, gh);
    phase = run.branch === null ? "cloning the repository" : "restoring the workspace";
    const checkpoint = await store.checkpoints.load(run.id);
    ({ run, workspace } = await prepareWorkspace({
      run,
      store,
      github,
      audit,
      dataDir: deps.dataDir,
      signal: control.signal,
      checkpoint,
    }));
    const { dirs, url, token, branch, lease } = workspace;
    const base = workspace.defaultBranch;
    const baseSha = run.baseSha ?? (await currentHead(dirs.worktree));
    run = await say({ kind: "working" });
    // A follow-up answers the review threads waiting for it (follow-up.ts).
    const round: Round | undefined =
      run.kind === "follow_up" ? await prepareRound(run, gh, dirs.worktree) : undefined;
    if (round?.items.length === 0) {
      await releaseAttempt();
      return await endEmptyRound(gh, run);
    }

    const env = commandEnvironment({ home: dirs.home, tmpdir: dirs.tmp, extra: run.config.env });
    const harness: HarnessCommandContext = {
      sandbox: deps.sandbox,
      audit,
      dirs,
      env,
      timeoutMs: deps.commandTimeoutMs,
      signal: control.signal,
    };
    phase = "running the setup commands";
    for (const command of run.config.setup) {
      const result = await runHarnessCommand(harness, command, "setup");
      if (result.exitCode !== 0) {
        throw new RunFailure(
          `the setup command \`${command}\` ${result.timedOut ? "timed out" : `exited with code ${String(result.exitCode)}`}.`,
        );
      }
    }

    phase = "working with the model";
    const milestones = createMilestones({
      worktree: dirs.worktree,
      author: BOT,
      coAuthor: coAuthorOf(run),
      audit,
      auditHead: () => store.audit.head(run.id),
      // A dry run pushes nothing, so it has nothing to ask approval for.
      gate: run.dryRun
        ? undefined
        : createApprovalGate({
            store,
            runId: run.id,
            worktree: dirs.worktree,
            policy: run.config.approvals,
            audit,
          }),
      rollback: (signal) =>
        rollbackWorktree({ store, runId: run.id, worktree: dirs.worktree, audit, signal }),
      publish: async (sha, signal) => {
        // A dry run keeps its commits in its own worktree: no branch, no pull request, no check.
        if (run.dryRun) return void (await audit.record("commit.kept_local", { sha }));
        const before = (await store.runs.mustGet(run.id)).headSha;
        const pushed = await pushToBranch({
          store,
          runId: run.id,
          worktree: dirs.worktree,
          audit,
          url,
          lease,
          token,
          ...(round ? { shared: { committer: BOT } } : {}),
        })(sha, signal);
        // The draft pull request opens at the first push; the check follows the head.
        await surface.pushed({ sha: pushed, before, branch, base });
        return pushed;
      },
    });
    const human = createHumanPort({ github, audit, run });
    let agent = run.agentOutcome;
    if (agent === null) {
      const resume = agentResume(
        checkpoint,
        checkpoint && (await store.pauses.pendingAnswer(run.id, checkpoint.step)),
        await resumeDecision(store, run.id),
      );
      control.enterAgent();
      try {
        const events = await store.audit.events(run.id);
        await recordRetriedStep(audit, events, resume?.step ?? 0, run.attempts);
        agent = await runAgentSession({
          run,
          model,
          sandbox: deps.sandbox,
          audit,
          dirs,
          env,
          commandTimeoutMs: deps.commandTimeoutMs,
          maxTokens: deps.maxTokens,
          signal: control.signal,
          baseSha,
          checks: createChecksRunner({
            ...harness,
            worktree: dirs.worktree,
            outputDir: dirs.outputs,
            commands: { build: run.config.build, test: run.config.test, lint: run.config.lint },
          }),
          milestones,
          memory: store.memory.port(`${run.owner}/${run.repo}`, run.id, workerId ?? undefined),
          human,
          progress: surface.progress,
          onStep: afterEach(
            createStepCheckpointer({
              store,
              runId: run.id,
              workerId: workerId ?? "",
              worktree: dirs.worktree,
              control,
            }),
            (c) => surface.step(c.step, c.state),
          ),
          resume,
          ...(round ? { task: round.task, taskTools: round.tools } : {}),
        });
      } finally {
        control.leaveAgent();
      }
    }
    if (agent.stop === "aborted") throw new RunFailure("the run was cancelled.", "cancelled");
    if (agent.stop === "paused" && agent.pause) {
      // Not kept as the outcome: the answered run resumes the loop from its last checkpoint.
      run = await store.runs.update(run.id, { stepsUsed: agent.steps });
      await say({ kind: "waiting", reason: agent.pause.reason });
      return await parkRun(store, audit, run, workerId, agent.pause);
    }
    // Kept, so a run resumed from here on goes straight to finishing.
    run = await store.runs.update(run.id, { stepsUsed: agent.steps, agentOutcome: agent });
    if (agent.stop === "refusal") throw new RunFailure("the model declined to work on this issue.");
    if (round) {
      phase = "answering the review";
      const ended = await finishRound({
        ...gh,
        run,
        round,
        agent,
        milestones,
        surface,
        signal: control.signal,
      });
      await releaseAttempt();
      return ended;
    }

    run = await store.runs.update(run.id, { state: "finishing" });
    // Whatever stopped the loop, the work so far is committed, pushed and described.
    phase = "committing the change";
    const last = await finalMilestone({
      store,
      runId: run.id,
      milestones,
      human,
      message: commitMessage(run),
      signal: control.signal,
    });
    if (last.held) {
      await say({ kind: "waiting", reason: last.held.reason });
      return await parkRun(store, audit, run, workerId, last.held);
    }
    if (run.dryRun) {
      const end = { run, agent, worktree: dirs.worktree, baseSha, github, audit, say };
      const { state, outcome } = await finishDryRun({ ...end, signal: control.signal });
      await releaseAttempt();
      return await store.runs.finish(run.id, state, outcome);
    }
    if ((await currentHead(dirs.worktree)) === baseSha) {
      throw new RunFailure("the agent finished without changing any file.");
    }
    run = await store.runs.mustGet(run.id);

    const finished = agent.stop === "completed";
    const stopNote = finished ? null : agent.message;
    const draftBecause = !finished
      ? "it stopped before it finished"
      : agent.verification?.configured === false
        ? "no checks are configured, so nothing was verified"
        : agent.verification?.passed !== true
          ? "verification did not pass"
          : agent.testWeakening.length > 0
            ? "the change deletes or weakens tests"
            : undefined;
    const draft = draftBecause !== undefined;
    phase = "finishing the pull request";
    surface.verified(agent.verification);
    const pr = await finishPullRequest(gh, {
      branch,
      base,
      worktree: dirs.worktree,
      summary: agent.summary,
      verification: agent.verification,
      stopNote,
      draftBecause,
      testWeakening: agent.testWeakening,
      spend: describeSpend(agent.budget ?? run.config.budget, agent.steps, agent.spent),
    });
    await say({ kind: "opened", pullUrl: pr.url, verified: !draft, draftBecause });

    const state: RunState = finished ? "succeeded" : "out_of_budget";
    const outcome = draft
      ? "pull request opened as a draft"
      : "pull request opened, verification passed";
    await audit.record("run.finished", { state, outcome });
    await surface.publishAudit();
    await releaseAttempt();
    return await store.runs.finish(run.id, state, outcome);
  } catch (error) {
    // Awaited here, or the finally below would remove the worktree while a stop still pushes.
    return await settleRun(error, {
      runId: claimed.id,
      lastKnown: run,
      workerId,
      store,
      github,
      audit,
      say,
      log: deps.log,
      dataDir: deps.dataDir,
      workspace,
      releaseWorkspace: releaseAttempt,
      phase,
      signal: control.signal,
      retry: deps.retry ?? DEFAULT_RETRY,
      clock: deps.clock ?? (() => new Date()),
      beforeFinish: () => surface.publishAudit(),
    });
  } finally {
    surface.close();
    // Settled, one way or another: a later attempt rebuilds its worktree from the checkpoint.
    await releaseAttempt();
  }
}

/** `first`, then `then`, on each step. */
function afterEach<T>(
  first: (value: T) => Promise<void>,
  then: (value: T) => Promise<void>,
): (value: T) => Promise<void> {
  return async (value) => {
    await first(value);
    await then(value);
  };
}

function modelFor(deps: RunDependencies, id: string): ModelPort {
  try {
    return deps.createModel(id);
  } catch (error) {
    if (error instanceof ModelUnavailableError) throw new RunFailure(error.message);
    throw error;
  }
}
