// The run's pull request: opened as a draft at the first push (its number
// stored, so a resumed run never opens a second), and finished at the end:
// the whole body, then ready for review only when the harness's verification
// is green, else a draft whose body says why.
import type { AuditSink } from "../agent/ports.ts";
import type { TestWeakening } from "../agent/test-integrity.ts";
import type { ChecksReport } from "../agent/ports.ts";
import { changesByArea } from "./changes.ts";
import type { GitHubPort, RepoRef } from "../github/types.ts";
import { findTemplate } from "./pr-template.ts";
import { pullRequestBody, workingBody } from "./pull-body.ts";
import type { Store } from "../store/store.ts";

export interface PullRequestDeps {
  store: Store;
  github: GitHubPort;
  audit: AuditSink;
  runId: string;
  ref: RepoRef;
  /**
   * What every text of the run must say (no sandbox, submodules not checked out): on the
   * tracking comment and the pull request. The attempt adds to it as it learns them.
   */
  notices?: readonly string[];
  /** The run page's address (run-link.ts), linked from every text when STAMINA_PUBLIC_URL is set. */
  runPage?: string | null;
}

/** The run's pull request, opened as a draft if it has none yet. */
export async function openDraft(
  deps: PullRequestDeps,
  target: { branch: string; base: string; body?: string; draft?: boolean },
): Promise<{ number: number; url: string }> {
  const run = await deps.store.runs.mustGet(deps.runId);
  if (run.pullNumber !== null && run.pullUrl !== null) {
    return { number: run.pullNumber, url: run.pullUrl };
  }
  const draft = target.draft ?? true;
  const pr = await deps.github.openPullRequest(deps.ref, {
    title: run.issueTitle,
    head: target.branch,
    base: target.base,
    draft,
    body: target.body ?? workingBody(run, deps.notices, deps.runPage ?? null),
  });
  await deps.store.runs.update(deps.runId, { pullNumber: pr.number, pullUrl: pr.url });
  await deps.audit.record("github.write", {
    op: pr.created ? "pull.create" : "pull.found",
    number: pr.number,
    draft,
  });
  return { number: pr.number, url: pr.url };
}

export interface Finish {
  branch: string;
  base: string;
  worktree: string;
  summary: string;
  verification: ChecksReport | null;
  stopNote: string | null;
  /** Why it stays a draft; undefined when it is ready for review. */
  draftBecause: string | undefined;
  testWeakening: TestWeakening[];
  spend: string;
  /** The cost lines (cost.ts `costSection`). */
  cost: string;
}

export async function finishPullRequest(
  deps: PullRequestDeps,
  finish: Finish,
): Promise<{ number: number; url: string }> {
  const { store, github, audit, ref } = deps;
  const run = await store.runs.mustGet(deps.runId);
  const base = run.baseSha ?? finish.base;
  const [areas, template] = await Promise.all([
    changesByArea(finish.worktree, base, "HEAD"),
    findTemplate(finish.worktree, base),
  ]);
  const draft = finish.draftBecause !== undefined;
  const body = pullRequestBody({
    run,
    summary: finish.summary,
    verification: finish.verification,
    stopNote: finish.stopNote,
    draftBecause: finish.draftBecause,
    testWeakening: finish.testWeakening,
    spend: finish.spend,
    cost: finish.cost,
    events: await store.audit.events(run.id),
    areas,
    template,
    notices: deps.notices,
    runPage: deps.runPage ?? null,
  });
  const fresh = run.pullNumber === null;
  const pr = await openDraft(deps, { branch: finish.branch, base: finish.base, body, draft });
  if (!fresh) {
    await github.updatePullRequest(ref, pr.number, { body });
    await audit.record("github.write", { op: "pull.update", number: pr.number });
  }
  const info = await github.pullRequest(ref, pr.number);
  if (info.draft !== draft) {
    await github.setDraft(ref, info, draft);
    await audit.record("github.write", {
      op: draft ? "pull.draft" : "pull.ready",
      number: pr.number,
    });
  }
  return pr;
}
