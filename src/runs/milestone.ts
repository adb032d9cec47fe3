// Milestones: the work so far committed by the harness (with the audit
// chain's head as a trailer) and, for a run on GitHub, pushed to its branch.
// The `checkpoint` tool, a green verification and the end of a run come here.
import { cleanCommitWords } from "../agent/commit-message.ts";
import type { AuditSink, Milestone, MilestonePort } from "../agent/ports.ts";
import { safetyEvent } from "../audit/safety.ts";
import { commitAll, GitError, push as gitPush, runGit, type Identity } from "../workspace/git.ts";
import { leaseRefusal, PushRefused, type BranchLease } from "../workspace/push-guard.ts";
import type { ApprovalGate } from "./approval-gate.ts";
import { scanBeforePush, type PushScanTarget } from "./push-scan.ts";
import { buildOnRemote } from "./build-on-remote.ts";
import { RunFailure } from "./failure.ts";
import { unfrozen, type WhileFrozen } from "./frozen.ts";
import { recordLeftOut } from "./left-out.ts";
import { pushSigned, type SignedTarget } from "./signed-push.ts";
import type { GitHubPort } from "../github/types.ts";
import type { Store } from "../store/store.ts";
import type { Run } from "../store/types.ts";

export interface MilestoneOptions {
  worktree: string;
  author: Identity;
  audit: AuditSink;
  /** The audit chain's head right now, for the `Stamina-Audit` trailer. */
  auditHead: () => Promise<string | null | undefined>;
  /** The audit key's signature of a head, for the `Stamina-Audit-Signature` trailer; none unsigned. */
  signHead?: (head: string) => string;
  /** Who asked for the work, credited on every commit (`Co-authored-by`); none for a local run. */
  coAuthor?: Identity;
  /**
   * Publishes a new commit (a push under GitHub); absent for a local run. It may return the
   * commit it published instead (replayed on top of others' work, see build-on-remote.ts, or
   * made by GitHub, see signed-push.ts), and tells `committed` which one goes out.
   */
  publish?: Publish;
  /** Approvals by policy (approvals.ts): a commit it holds is undone, its change kept, not pushed. */
  gate?: ApprovalGate;
  /** Back to the last pushed commit, for a denied change (approvals.ts `rollbackWorktree`). */
  rollback?: (signal: AbortSignal) => Promise<string>;
  /** The run's processes stopped while git works on the worktree (frozen.ts); none by default. */
  frozen?: WhileFrozen;
}

/**
 * What ties a commit to the audit log: the chain's head and, with an audit key, its signature, as
 * the commit's trailers and as the fields of its `git.commit` event.
 */
export function auditSeal(
  head: string,
  sign: ((head: string) => string) | undefined,
): { trailers: string[]; data: { auditHead: string; auditSignature?: string } } {
  const signature = head === "" ? undefined : sign?.(head);
  if (signature === undefined)
    return { trailers: [`Stamina-Audit: ${head}`], data: { auditHead: head } };
  return {
    trailers: [`Stamina-Audit: ${head}`, `Stamina-Audit-Signature: ${signature}`],
    data: { auditHead: head, auditSignature: signature },
  };
}

/**
 * Publishes a commit; `committed` records the `git.commit` event of the commit that goes out
 * (GitHub's own when GitHub makes it), right before the branch moves.
 */
type Publish = (
  sha: string,
  signal: AbortSignal,
  committed?: (sha: string) => Promise<void>,
) => Promise<string | void>;

const SUBJECT_MAX = 72;
const BODY_MAX = 5_000;

export function createMilestones(options: MilestoneOptions): MilestonePort {
  const record = recordLeftOut(options.audit);
  const frozen = options.frozen ?? unfrozen;
  return {
    ...(options.rollback ? { rollback: options.rollback } : {}),
    async checkpoint({ message, reason }, signal): Promise<Milestone> {
      const head = (await options.auditHead()) ?? "";
      const seal = auditSeal(head, options.signHead);
      const trailers = [
        ...(options.coAuthor
          ? [`Co-authored-by: ${options.coAuthor.name} <${options.coAuthor.email}>`]
          : []),
        ...seal.trailers,
      ];
      let leftOut: string[] = [];
      const sha = await frozen(() =>
        commitAll(options.worktree, {
          message: (files) =>
            `${commitText(typeof message === "string" ? message : message(files))}\n\n${trailers.join("\n")}`,
          author: options.author,
          onLeftOut: async (paths) => {
            leftOut = paths;
            await record(paths);
          },
        }),
      );
      const said = leftOut.length > 0 ? { leftOut } : {};
      if (sha === null) return { sha: null, pushed: false, ...said };
      const held = (await options.gate?.(sha, signal)) ?? null;
      if (held !== null) {
        // Not pushed until a writer approves: the change goes back to the working tree.
        await frozen(() =>
          runGit(["reset", "--quiet", "--soft", `${sha}~1`], { cwd: options.worktree }),
        );
        return { sha: null, pushed: false, held };
      }
      const committed = async (at: string) => {
        const patch = await commitPatch(options.worktree, sha);
        await options.audit.record("git.commit", { sha: at, ...seal.data, reason, ...patch });
      };
      if (options.publish === undefined) {
        await committed(sha);
        return { sha, pushed: false, ...said };
      }
      const published = await options.publish(sha, signal, committed);
      return { sha: published ?? sha, pushed: true, ...said };
    },
  };
}

/** The most of a commit's patch its `git.commit` event keeps. */
const PATCH_MAX = 64 * 1024;

/**
 * The commit's change as a patch (against its parent), for whoever reads the audit log: the run
 * page shows it per checkpoint, and an exported log keeps it. Cut at PATCH_MAX; nothing when git
 * cannot say (the event is recorded all the same). It went through the secret scan already, and
 * the audit redacts what it records.
 */
async function commitPatch(cwd: string, sha: string): Promise<{ patch?: string; patchCut?: true }> {
  const args = ["diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames"];
  try {
    const { stdout } = await runGit([...args, `${sha}~1`, sha, "--"], { cwd });
    return stdout.length > PATCH_MAX
      ? { patch: stdout.slice(0, PATCH_MAX), patchCut: true }
      : { patch: stdout };
  } catch (error) {
    if (error instanceof GitError) return {};
    throw error;
  }
}

/**
 * A commit message as git readers expect it: a short subject, a blank line, a body. The
 * model's text is trusted for neither length nor trailers (commit-message.ts): a `Stamina-Audit`
 * line of its own would contradict the harness's, and who is credited is the harness's to say.
 */
export function commitText(message: string): string {
  const words = cleanCommitWords(message);
  let subject = words.subject || "Work in progress";
  const body = words.body;
  let overflow = "";
  if (subject.length > SUBJECT_MAX) {
    overflow = `…${subject.slice(SUBJECT_MAX - 1)}`;
    subject = `${subject.slice(0, SUBJECT_MAX - 1)}…`;
  }
  const fullBody = [overflow, body].filter((part) => part !== "").join("\n\n");
  return fullBody === "" ? subject : `${subject}\n\n${fullBody.slice(0, BODY_MAX)}`;
}

export interface PushTarget {
  /** `approvals`: findings of the secret scan a writer approved go through (push-scan.ts). */
  store: Pick<Store, "runs" | "approvals">;
  runId: string;
  worktree: string;
  audit: AuditSink;
  url: string;
  /** The run's branch and where it stands on GitHub; moved on by each push. */
  lease: BranchLease;
  token: () => Promise<string>;
  /**
   * A branch people push to as well (a pull request's, in a follow-up run): before each push,
   * the run's commits are put on top of what others pushed (build-on-remote.ts), by this committer.
   */
  shared?: { committer: Identity };
  /** The run's redactor: its own secrets, in any form, block a push too (push-scan.ts). */
  redactor?: PushScanTarget["redactor"];
  /**
   * The commits made by GitHub through its API, so they are signed (signed-push.ts): the
   * repository's `commits.signed`, the default. Without it, `git push`.
   */
  signed?: Pick<SignedTarget, "github" | "repo">;
}

/**
 * `signed` for a run's pushes: GitHub makes the commits unless the repository's config says
 * `commits.signed: false`.
 */
export function signedBy(
  run: Pick<Run, "installationId" | "owner" | "repo" | "config">,
  github: Pick<GitHubPort, "git">,
): Pick<PushTarget, "signed"> {
  if (!run.config.commits.signed) return {};
  const repo = { installationId: run.installationId, owner: run.owner, repo: run.repo };
  return { signed: { github: github.git, repo } };
}

/** How many times a shared branch that moved during a signed push is built on again. */
const MAX_BUILDS = 3;

/**
 * Pushes a milestone to the run's branch and records it as the run's head: the durable
 * checkpoints take the last pushed commit as their base. The commits go out only after a
 * secret scan of what they add, and only under the push guard (see push-guard.ts), made by
 * GitHub (signed) or pushed with git. Returns the commit pushed: the one given, its replay on
 * top of a shared branch that moved, or GitHub's.
 */
export function pushToBranch(
  target: PushTarget,
): (
  sha: string,
  signal: AbortSignal,
  committed?: (sha: string) => Promise<void>,
) => Promise<string> {
  return async (head, signal, committed) => {
    const { lease } = target;
    for (let attempt = 1; ; attempt++) {
      const sha = target.shared
        ? await buildOnRemote({ ...target, committer: target.shared.committer }, signal)
        : head;
      const since = lease.sha ?? (await target.store.runs.mustGet(target.runId)).baseSha;
      if (since === null) throw new Error(`run ${target.runId} has no base commit to push from`);
      await scanBeforePush(target, since, signal);
      const pushed = await pushOnce(target, { sha, since }, signal, committed);
      if (pushed !== null) {
        lease.sha = pushed.sha;
        await target.store.runs.update(target.runId, { headSha: pushed.sha });
        await target.audit.record("git.push", { branch: lease.branch, ...pushed });
        return pushed.sha;
      }
      // Someone pushed after the head was read: a shared branch is built on again, once more.
      if (!target.shared || attempt >= MAX_BUILDS) {
        throw await refused(target, new PushRefused(leaseRefusal(lease)));
      }
    }
  };
}

/** One push of `since..sha`: what was pushed, or null when the branch moved meanwhile. */
async function pushOnce(
  target: PushTarget,
  push: { sha: string; since: string },
  signal: AbortSignal,
  committed?: (sha: string) => Promise<void>,
): Promise<{ sha: string; signed?: true; made?: Array<{ local: string; github: string }> } | null> {
  const { lease } = target;
  try {
    if (target.signed) {
      const signed = { ...target, ...target.signed };
      const result = await pushSigned(signed, push.since, signal, committed);
      if ("movedMeanwhile" in result) return null;
      return { sha: result.head, signed: true, made: result.made };
    }
    await committed?.(push.sha);
    await gitPush(target.worktree, { url: target.url, lease, token: target.token, signal });
    return { sha: push.sha };
  } catch (error) {
    const said = workflowsRefusal(error) ?? signaturesRefusal(error, target.signed !== undefined);
    if (said !== null) {
      await target.audit.record("git.push_refused", { branch: lease.branch, reason: said });
      throw new RunFailure(said);
    }
    if (error instanceof PushRefused) throw await refused(target, error);
    throw error;
  }
}

/** A refusal of the push guard, recorded as such; the run fails with its words. */
async function refused(target: PushTarget, error: PushRefused): Promise<RunFailure> {
  const { branch } = target.lease;
  await target.audit.record("git.push_refused", { branch, reason: error.message });
  const event = safetyEvent({
    control: "push.guard",
    outcome: "blocked",
    detail: `The push guard refused a push to \`${branch}\`: ${error.message}`,
    branch,
  });
  await target.audit.record(event.type, event.data);
  return new RunFailure(error.message);
}

/**
 * GitHub refuses a push that changes `.github/workflows/` from an app without the `workflows`
 * permission. Said plainly, with what to do, rather than as git's error.
 */
function workflowsRefusal(error: unknown): string | null {
  const match = /refusing to allow a GitHub App to create or update workflow `?([^`\s]+)`?/.exec(
    refusalText(error),
  );
  if (match === null) return null;
  return `GitHub refused the push: it changes the workflow file \`${match[1] ?? ".github/workflows/"}\`, and GitHub lets an app push workflow files only when it has the \`workflows\` permission, which this installation did not grant. A writer's approval is not enough: the operator must grant the app that permission (or a person must make the workflow change by hand).`;
}

/**
 * A ruleset that requires signed commits refuses what git pushes (`commits.signed: false`); said
 * plainly, with what to do, rather than as git's or the API's error.
 */
function signaturesRefusal(error: unknown, signed: boolean): string | null {
  if (!/Commits must have verified signatures/i.test(refusalText(error))) return null;
  if (signed) {
    return "GitHub refused to move the branch to the commits it made and signed for Stamina: a ruleset of this repository requires verified signatures and did not take them. A repository admin can let the ruleset bypass the app.";
  }
  return "GitHub refused the push: a ruleset of this repository requires signed commits, and the commits Stamina pushed were not signed. Remove `commits.signed: false` from .github/stamina.yml, so that GitHub makes and signs Stamina's commits, or let the ruleset bypass the app.";
}

/** What git (its stderr) or the API (the error's message) said when it refused. */
function refusalText(error: unknown): string {
  if (error instanceof GitError) return error.stderr;
  const status = (error as { status?: unknown } | null)?.status;
  return status === 422 && error instanceof Error ? error.message : "";
}
