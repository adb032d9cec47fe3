// One run from claim to pull request: workspace, setup, agent, harness-run
// verification, commit with the audit trailer, push, pull request, and the
// tracking comment. Every step leaves an audit event.
import type { AuditSink, ModelPort } from "../agent/ports.ts";
import { UnpricedModelError } from "../model/anthropic.ts";
import type { Logger } from "../observability/logger.ts";
import { describeSpend } from "../agent/budget.ts";
import type { Phase } from "../agent/phase.ts";
import type { PlanItem } from "../agent/ports.ts";
import { branchSlug, cloneRepository, createBranch, currentHead } from "../workspace/git.ts";
import { commandEnvironment, type Sandbox } from "../workspace/sandbox.ts";
import { STAMINA_VERSION } from "../version.ts";
import { runAgentSession } from "./agent-session.ts";
import { asFailure, RunFailure } from "./failure.ts";
import { createChecksRunner } from "./checks.ts";
import { runHarnessCommand, type HarnessCommandContext } from "./harness-commands.ts";
import { createMilestones, pushToBranch } from "./milestone.ts";
import { LeaseLost, ShutdownRequested } from "./interruptions.ts";
import type { GitHubPort, RepoRef } from "./ports.ts";
import { pullRequestBody, trackingComment, type Stage } from "./report.ts";
import { runDirectories } from "./run-directories.ts";
import type { RunState } from "./schema.ts";
import type { Store } from "./store.ts";
import type { Run } from "./types.ts";

export interface RunDependencies {
  store: Store;
  github: GitHubPort;
  sandbox: Sandbox;
  createModel: (modelId: string) => ModelPort;
  dataDir: string;
  commandTimeoutMs: number;
  maxTokens: number;
  log: Logger;
}

const BOT = { name: "stamina[bot]", email: "stamina[bot]@users.noreply.github.com" };

export async function executeRun(
  claimed: Run,
  deps: RunDependencies,
  signal: AbortSignal,
): Promise<Run> {
  const { store, github, log } = deps;
  const ref: RepoRef = {
    installationId: claimed.installationId,
    owner: claimed.owner,
    repo: claimed.repo,
  };
  const audit: AuditSink = {
    record: async (type, data) => {
      await store.appendAudit(claimed.id, [{ type, data }]);
    },
  };
  let run = claimed;
  const say = async (stage: Stage) => {
    run = await store.mustGetRun(run.id);
    const body = trackingComment(run, stage);
    if (run.trackingCommentId === null) {
      // The trigger posts the tracking comment; a poll may claim the run a moment before
      // its id is stored. Progress can wait for it; only an outcome must be posted anyway.
      if (stage.kind === "working") return;
      const { id } = await github.createComment(ref, run.issueNumber, body);
      run = await store.updateRun(run.id, { trackingCommentId: id });
      await audit.record("github.write", { op: "comment.create", commentId: id });
    } else {
      await github.updateComment(ref, run.trackingCommentId, body);
      await audit.record("github.write", {
        op: "comment.update",
        commentId: run.trackingCommentId,
      });
    }
  };

  // Where the run was when an unexpected error stopped it, for the comment that says so.
  let phase = "preparing the workspace";
  try {
    await audit.record("run.claimed", { attempt: run.attempts, version: STAMINA_VERSION });
    phase = "choosing the model";
    const model = modelFor(deps, run.config.model);
    const dirs = await runDirectories(deps.dataDir, run.id, run.attempts);
    const token = () => github.gitToken(run.installationId);
    const url = github.cloneUrl(run.owner, run.repo);

    const base = await github.defaultBranch(ref);
    phase = "cloning the repository";
    await cloneRepository({ url, dir: dirs.worktree, token, branch: base, signal });
    const baseSha = await currentHead(dirs.worktree);
    await audit.record("git.clone", { url, branch: base, sha: baseSha });
    const branch = branchSlug(run.issueNumber, run.issueTitle);
    await createBranch(dirs.worktree, branch);
    run = await store.updateRun(run.id, { state: "running", branch, baseSha });
    await audit.record("git.branch", { branch, base: baseSha });
    await say({ kind: "working" });

    const env = commandEnvironment({ home: dirs.home, tmpdir: dirs.tmp, extra: run.config.env });
    const harness: HarnessCommandContext = {
      sandbox: deps.sandbox,
      audit,
      dirs,
      env,
      timeoutMs: deps.commandTimeoutMs,
      signal,
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
      audit,
      auditHead: () => store.auditHead(run.id),
      publish: pushToBranch({
        store,
        runId: run.id,
        worktree: dirs.worktree,
        audit,
        url,
        branch,
        token,
      }),
    });
    const shown: { plan: PlanItem[]; phase: Phase } = { plan: [], phase: "orient" };
    const agent = await runAgentSession({
      run,
      model,
      sandbox: deps.sandbox,
      audit,
      dirs,
      env,
      commandTimeoutMs: deps.commandTimeoutMs,
      maxTokens: deps.maxTokens,
      signal,
      baseSha,
      checks: createChecksRunner({
        ...harness,
        worktree: dirs.worktree,
        outputDir: dirs.outputs,
        commands: { build: run.config.build, test: run.config.test, lint: run.config.lint },
      }),
      milestones,
      progress: {
        plan: (plan) => {
          shown.plan = plan;
          return say({ kind: "working", ...shown });
        },
        phase: (agentPhase) => {
          shown.phase = agentPhase;
          return say({ kind: "working", ...shown });
        },
      },
      onStep: async ({ step }) => {
        await store.updateRun(run.id, { stepsUsed: step });
      },
    });
    run = await store.updateRun(run.id, { stepsUsed: agent.steps });
    if (agent.stop === "aborted") throw new RunFailure("the run was cancelled.", "cancelled");
    if (agent.stop === "refusal") throw new RunFailure("the model declined to work on this issue.");

    run = await store.updateRun(run.id, { state: "finishing" });
    // Whatever stopped the loop, the work so far is committed, pushed and described.
    phase = "committing the change";
    await milestones.checkpoint({ message: commitMessage(run), reason: "final" }, signal);
    if ((await currentHead(dirs.worktree)) === baseSha) {
      throw new RunFailure("the agent finished without changing any file.");
    }
    run = await store.mustGetRun(run.id);

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
    phase = "opening the pull request";
    const pr = await github.openPullRequest(ref, {
      title: run.issueTitle,
      head: branch,
      base,
      draft,
      body: pullRequestBody({
        run,
        summary: agent.summary,
        verification: agent.verification,
        stopNote,
        testWeakening: agent.testWeakening,
        spend: describeSpend(run.config.budget, agent.steps, agent.spent),
        events: await store.auditEvents(run.id),
      }),
    });
    run = await store.updateRun(run.id, { pullNumber: pr.number, pullUrl: pr.url });
    await audit.record("github.write", {
      op: pr.created ? "pull.create" : "pull.found",
      number: pr.number,
      draft,
    });
    await say({ kind: "opened", pullUrl: pr.url, verified: !draft, draftBecause });

    const state: RunState = finished ? "succeeded" : "out_of_budget";
    const outcome = draft
      ? "pull request opened as a draft"
      : "pull request opened, verification passed";
    await audit.record("run.finished", { state, outcome });
    return await store.finishRun(run.id, state, outcome);
  } catch (error) {
    if (signal.reason instanceof LeaseLost) {
      log.warn({ runId: run.id }, "lease lost: another worker owns the run now; leaving it alone");
      return run;
    }
    if (signal.reason instanceof ShutdownRequested && claimed.leaseOwner !== null) {
      await audit.record("run.released", { reason: "the worker shut down", phase });
      await store.releaseRun(run.id, claimed.leaseOwner);
      log.info({ runId: run.id }, "run handed back to the queue");
      return store.mustGetRun(run.id);
    }
    const failure = asFailure(error, phase, run.id);
    log.error({ err: error, runId: run.id }, "run failed");
    await audit
      .record("run.finished", { state: failure.state, outcome: failure.message })
      .catch((e: unknown) => {
        log.error({ err: e, runId: run.id }, "could not record the end of the run");
      });
    await say({ kind: "failed", reason: failure.message }).catch((e: unknown) => {
      log.error({ err: e, runId: run.id }, "could not update the tracking comment");
    });
    return store.finishRun(run.id, failure.state, failure.message);
  }
}

function modelFor(deps: RunDependencies, id: string): ModelPort {
  try {
    return deps.createModel(id);
  } catch (error) {
    if (error instanceof UnpricedModelError) throw new RunFailure(error.message);
    throw error;
  }
}

function commitMessage(run: Run): string {
  const title = run.issueTitle.replace(/\s+/g, " ").trim().slice(0, 60);
  return [
    `${title} (#${run.issueNumber})`,
    "",
    `Stamina's change for issue #${run.issueNumber}, asked for by @${run.requestedBy}.`,
  ].join("\n");
}
