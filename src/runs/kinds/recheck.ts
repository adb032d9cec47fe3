// A re-run of the "Stamina" check ("Re-run" on the check, queued by
// app/handlers/check-rerun.ts as a run of kind "recheck" on the pull request):
// the pull request's head checked out from the repository's mirror, the
// repository config's setup commands and checks run by the harness as at the
// end of every run (sandboxed, the checks offline), and a new "Stamina" check
// on that commit with their result. No model, no commit, no push; the
// worktree goes back to the mirror at the end. Its audit log is its own.
import { join } from "node:path";
import type { AuditSink, ChecksReport } from "../../agent/ports.ts";
import { auditedChecks } from "../../agent/baseline.ts";
import { cannotPushToFork, forkOf } from "../../github/fork.ts";
import { quietCommands } from "../../github/quiet-commands.ts";
import type { GitHubPort, PullRequestInfo, RepoRef } from "../../github/types.ts";
import { createRedactor } from "../../observability/redact.ts";
import { commandEnvironment } from "../../sandbox/sandbox.ts";
import { LeaseLost } from "../../store/leases.ts";
import type { Run } from "../../store/types.ts";
import {
  recheckDone,
  recheckFailed,
  recheckRequeued,
  recheckStarted,
  recheckStopped,
} from "../../surface/recheck-text.ts";
import { redactWrites } from "../../surface/redacted-github.ts";
import { createStaminaCheck, type StaminaCheck } from "../../surface/stamina-check.ts";
import { fetchFromRemote, hasCommit } from "../../workspace/git-remote.ts";
import { runGit } from "../../workspace/git-run.ts";
import { checkoutFromMirror } from "../../workspace/mirror.ts";
import { createChecksRunner } from "../checks.ts";
import type { RunDependencies } from "../dependencies.ts";
import { asFailure, RunFailure } from "../failure.ts";
import { runHarnessCommand } from "../harness-commands.ts";
import { CancelRequested, ShutdownRequested } from "../interruptions.ts";
import { openNetworkReport } from "../network-report.ts";
import { releaseWorkspace } from "../release-workspace.ts";
import { RunControl } from "../run-control.ts";
import { runDirectories, type RunDirectories } from "../run-directories.ts";

/** What one attempt at a re-run works with. */
interface Recheck {
  deps: RunDependencies;
  job: Run;
  ref: RepoRef;
  github: GitHubPort;
  audit: AuditSink;
  check: StaminaCheck;
  signal: AbortSignal;
  /** Who asked and on which commit, once the pull request was read. */
  asked: { by: string; sha: string; notices: string[] };
}

/** Carries out a claimed re-run of the checks and ends it (or hands it back to the queue). */
export async function executeRecheck(
  job: Run,
  deps: RunDependencies,
  signal: AbortSignal,
  drain?: AbortSignal,
): Promise<Run> {
  const { store } = deps;
  const ref: RepoRef = { installationId: job.installationId, owner: job.owner, repo: job.repo };
  const workerId = job.leaseOwner;
  const audit: AuditSink = {
    // Fenced by the lease: a worker that lost the run adds nothing to its log.
    record: async (type, data) =>
      void (await store.audit.append(job.id, [{ type, data }], workerId ?? undefined)),
  };
  const redactor = deps.redactor ?? createRedactor();
  const github = redactWrites(deps.github, (t) => quietCommands(redactor.redact(t)), audit);
  const r: Recheck = {
    deps,
    job,
    ref,
    github,
    audit,
    check: createStaminaCheck({ store, github, audit, runId: job.id, ref }),
    // Nothing is lost by stopping a re-run at once: the next attempt runs the checks afresh.
    signal: new RunControl(signal, drain).signal,
    asked: {
      by: job.requestedBy,
      sha: "",
      notices: deps.sandbox.warning === null ? [] : [deps.sandbox.warning],
    },
  };
  try {
    await audit.record("run.claimed", { attempt: job.attempts, worker: workerId });
    const report = await recheck(r);
    const { conclusion, content } = recheckDone(r.asked, report);
    await r.check.complete(conclusion, content);
    await audit.record("run.finished", { state: "succeeded", outcome: content.title });
    return await store.runs.finish(job.id, "succeeded", content.title);
  } catch (error) {
    return await settle(r, error);
  } finally {
    await deps.sandbox.releaseGroup(job.id);
    await releaseWorkspace({
      dataDir: deps.dataDir,
      run: job,
      maxBytes: deps.workspaceMaxBytes,
      log: deps.log,
    });
  }
}

/** The pull request's head checked out, setup run, then the checks: their report. */
async function recheck(r: Recheck): Promise<ChecksReport> {
  const { deps, job, audit, signal } = r;
  const pull = await r.github.pullRequest(r.ref, job.issueNumber);
  r.asked.sha = pull.headSha;
  refuseUnlessOpenHere(pull);
  await r.check.moveTo(pull.headSha, recheckStarted(r.asked));
  const dirs = await runDirectories(deps.dataDir, job.id, job.attempts);
  await checkOut(r, pull, dirs);
  const env = commandEnvironment({ home: dirs.home, tmpdir: dirs.tmp, extra: job.config.env });
  const harness = {
    sandbox: deps.sandbox,
    audit,
    dirs,
    env,
    timeoutMs: deps.commandTimeoutMs,
    signal,
    group: job.id,
  };
  const network = openNetworkReport({ audit, allow: job.config.network.allow });
  for (const command of job.config.setup) {
    const result = await runHarnessCommand(harness, command, "setup", network);
    if (result.exitCode !== 0) {
      const how = result.timedOut ? "timed out" : `exited with code ${String(result.exitCode)}`;
      throw new RunFailure(`the setup command \`${command}\` ${how}, so the checks did not run.`);
    }
  }
  const report = await createChecksRunner({
    ...harness,
    worktree: dirs.worktree,
    outputDir: dirs.outputs,
    commands: { build: job.config.build, test: job.config.test, lint: job.config.lint },
  }).run("harness", signal);
  if (report.aborted) throw signal.aborted ? signal.reason : new Error("the checks were aborted");
  await audit.record("verify.result", {
    phase: "recheck",
    sha: pull.headSha,
    configured: report.configured,
    passed: report.passed,
    checks: auditedChecks(report),
  });
  return report;
}

/** Only an open pull request whose branch is in this repository: not a fork's head. */
function refuseUnlessOpenHere(pull: PullRequestInfo): void {
  if (pull.state === "closed") {
    throw new RunFailure("the pull request is closed, so there is nothing to check.", "cancelled");
  }
  const fork = forkOf({
    head: { ref: pull.headRef, repo: pull.headRepo === null ? null : { full_name: pull.headRepo } },
    base: { repo: { full_name: pull.baseRepo } },
  });
  if (fork !== null) {
    throw new RunFailure(
      `Stamina runs the checks only on branches of this repository: ${cannotPushToFork(pull.headRef, fork, pull.headRepo === null)}.`,
    );
  }
}

/** The repository's mirror, with the pull request's head fetched and checked out (detached). */
async function checkOut(r: Recheck, pull: PullRequestInfo, dirs: RunDirectories): Promise<void> {
  const { deps, job, signal } = r;
  const url = r.github.cloneUrl(job.owner, job.repo);
  const token = () => r.github.gitToken(r.ref);
  const cwd = dirs.worktree;
  const cache = await checkoutFromMirror({
    dataDir: deps.dataDir,
    owner: job.owner,
    repo: job.repo,
    url,
    token,
    branch: await r.github.defaultBranch(r.ref),
    worktree: cwd,
    replaces: join(deps.dataDir, "runs", job.id),
    signal,
  });
  if (!(await hasCommit(cwd, pull.headSha))) {
    await fetchFromRemote(cwd, { url, ref: `refs/heads/${pull.headRef}`, token, signal });
  }
  // The branch moved on since GitHub said where it was: the commit itself, by its sha.
  if (!(await hasCommit(cwd, pull.headSha))) {
    await fetchFromRemote(cwd, { url, ref: pull.headSha, token, signal });
  }
  // A partial clone: the switch fetches the blobs it lacks, with the token.
  await runGit(["switch", "--quiet", "--detach", pull.headSha], { cwd, token, signal });
  await r.audit.record("git.clone", {
    url,
    branch: pull.headRef,
    sha: pull.headSha,
    mirror: cache.created ? "created" : "reused",
  });
}

/** How an attempt that did not get to the end ends: handed back, left alone, stopped or failed. */
async function settle(r: Recheck, error: unknown): Promise<Run> {
  const { deps, job, audit, check, signal } = r;
  const { store, log } = deps;
  const why: unknown = signal.aborted ? signal.reason : error;
  if (why instanceof LeaseLost || error instanceof LeaseLost) {
    log.warn("lease lost: another worker owns the re-run now; leaving it alone");
    return (await store.runs.get(job.id)) ?? job;
  }
  const say = async (write: () => Promise<void>) => {
    // The check shows how it ended; the run ends either way.
    if (r.asked.sha === "") return;
    await write().catch((e: unknown) => log.warn({ err: e }, "could not update the Stamina check"));
  };
  if (why instanceof ShutdownRequested && job.leaseOwner !== null) {
    try {
      await audit.record("run.released", { reason: "the worker shut down", phase: "recheck" });
    } catch (e) {
      if (e instanceof LeaseLost) return (await store.runs.get(job.id)) ?? job;
      throw e;
    }
    await say(() => check.update(recheckRequeued(r.asked)));
    await store.leases.release(job.id, job.leaseOwner);
    log.info("re-run of the checks handed back to the queue");
    return store.runs.mustGet(job.id);
  }
  if (why instanceof CancelRequested) {
    await say(() => check.complete("cancelled", recheckStopped(r.asked, why)));
    const outcome = `stopped by ${why.by} (${why.reason})`;
    await audit.record("run.finished", { state: "cancelled", outcome });
    return store.runs.finish(job.id, "cancelled", outcome);
  }
  const failure = asFailure(error, "running the checks again", job.id);
  if (!(error instanceof RunFailure)) log.error({ err: error }, "re-run failed");
  await say(() => check.complete("failure", recheckFailed(r.asked, failure.message)));
  await audit.record("run.finished", { state: failure.state, outcome: failure.message });
  return store.runs.finish(job.id, failure.state, failure.message);
}
