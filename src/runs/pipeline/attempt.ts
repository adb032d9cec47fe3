// One attempt at a claimed run, as every stage of the pipeline sees it: GitHub
// with every text the run writes redacted, the audit log fenced by the lease,
// what the run shows on GitHub (the surface), how it is told to stop, and
// what the attempt knows so far (the run, its workspace, where it is) for the
// settling of an attempt that did not reach its end.
import type { AuditSink } from "../../agent/ports.ts";
import { quietCommands } from "../../github/quiet-commands.ts";
import type { GitHubPort, RepoRef } from "../../github/types.ts";
import { createRedactor, type Redactor } from "../../observability/redact.ts";
import type { Store } from "../../store/store.ts";
import type { Run } from "../../store/types.ts";
import { openDraft, type PullRequestDeps } from "../../surface/pull-request.ts";
import { redactWrites } from "../../surface/redacted-github.ts";
import { createSurface, type Surface } from "../../surface/surface.ts";
import type { RunDependencies } from "../dependencies.ts";
import type { Workspace } from "../prepare-workspace.ts";
import { releaseWorkspace } from "../release-workspace.ts";
import { RunControl } from "../run-control.ts";
import { runPageUrl } from "../../surface/run-link.ts";

export interface Attempt {
  readonly deps: RunDependencies;
  readonly store: Store;
  /** GitHub, with every text the run writes redacted and no line that reads as a command. */
  readonly github: GitHubPort;
  readonly audit: AuditSink;
  /** What every text leaving the run passes through: GitHub writes, model requests. */
  readonly redactor: Redactor;
  /** Where the run writes on GitHub, for the surface's and the kinds' writes. */
  readonly gh: PullRequestDeps;
  readonly surface: Surface;
  readonly control: RunControl;
  /** The worker holding the run's lease. */
  readonly workerId: string | null;
  /**
   * What every text of the run says from now on (shown by the surface and the pull request):
   * a run without a sandbox, submodules left out. Each is also an audit event.
   */
  notice(type: string, text: string, data?: Record<string, unknown>): Promise<void>;
  /** Shows a line on the run's texts (in place of `replaces`) whose audit event the caller writes. */
  show(text: string, replaces?: string): void;
  /** The run as this attempt last saw it. */
  run: Run;
  /** The worktree, once prepared. */
  workspace: Workspace | undefined;
  /** Where the run is, for the comment that says what stopped it. */
  phase: string;
  /** Gives the worktree back, once: before the run is settled in the store, and at the end. */
  release(): Promise<void>;
}

export function openAttempt(
  claimed: Run,
  deps: RunDependencies,
  signal: AbortSignal,
  drain?: AbortSignal,
): Attempt {
  const { store } = deps;
  const redactor = deps.redactor ?? createRedactor();
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
  const github = redactWrites(deps.github, (text) => quietCommands(redactor.redact(text)), audit);
  const notices: string[] = [];
  const show = (text: string, replaces?: string) => {
    const at = replaces === undefined ? -1 : notices.indexOf(replaces);
    if (at >= 0) notices[at] = text;
    else if (!notices.includes(text)) notices.push(text);
  };
  const gh: PullRequestDeps = {
    store,
    github,
    audit,
    runId: claimed.id,
    ref,
    notices,
    runPage: runPageUrl(deps.publicUrl, claimed.id),
  };
  const surface = createSurface({
    ...gh,
    issueNumber: claimed.issueNumber,
    log: deps.log,
    intervalMs: deps.progressIntervalMs,
    timers: deps.timers,
    openDraft: (target) => openDraft(gh, target),
  });
  let released: Promise<void> | undefined;
  return {
    deps,
    store,
    github,
    audit,
    redactor,
    gh,
    surface,
    control: new RunControl(signal, drain),
    workerId,
    async notice(type, text, data = {}) {
      show(text);
      await audit.record(type, { ...data, notice: text });
    },
    show,
    run: claimed,
    workspace: undefined,
    phase: "preparing the workspace",
    release: () =>
      (released ??= (async () => {
        // What the run left running (a background job of its shell) ends with it.
        await deps.sandbox.releaseGroup(claimed.id);
        await releaseWorkspace({
          dataDir: deps.dataDir,
          run: claimed,
          maxBytes: deps.workspaceMaxBytes,
          log: deps.log,
        });
      })()),
  };
}
