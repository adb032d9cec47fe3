// Milestones: the work so far committed by the harness (with the audit
// chain's head as a trailer) and, for a run on GitHub, pushed to its branch.
// The `checkpoint` tool, a green verification and the end of a run come here.
import type { AuditSink, Milestone, MilestonePort } from "../agent/ports.ts";
import { safetyEvent } from "../audit/safety.ts";
import { commitAll, GitError, push, runGit, type Identity } from "../workspace/git.ts";
import { PushRefused, type BranchLease } from "../workspace/push-guard.ts";
import type { ApprovalGate } from "./approval-gate.ts";
import { scanBeforePush, type PushScanTarget } from "./push-scan.ts";
import { buildOnRemote } from "./build-on-remote.ts";
import { RunFailure } from "./failure.ts";
import { unfrozen, type WhileFrozen } from "./frozen.ts";
import { recordLeftOut } from "./left-out.ts";
import type { Store } from "../store/store.ts";

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
   * commit it published instead (replayed on top of others' work, see build-on-remote.ts).
   */
  publish?: (sha: string, signal: AbortSignal) => Promise<string | void>;
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
          message: `${commitText(message)}\n\n${trailers.join("\n")}`,
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
      await options.audit.record("git.commit", { sha, ...seal.data, reason });
      if (options.publish === undefined) return { sha, pushed: false, ...said };
      const published = await options.publish(sha, signal);
      return { sha: published ?? sha, pushed: true, ...said };
    },
  };
}

/**
 * A commit message as git readers expect it: a short subject, a blank line, a body. The
 * model's text is trusted for neither length nor trailers: a `Stamina-Audit` line of its own
 * would contradict the harness's, and who is credited is the harness's to say.
 */
export function commitText(message: string): string {
  const lines = message
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .filter((line) => !/^\s*(?:Stamina-Audit(?:-Signature)?|Co-authored-by):/i.test(line));
  const [first = "", ...rest] = lines;
  let subject = first.replace(/\s+/g, " ").trim() || "Work in progress";
  const body = rest.join("\n").trim();
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
}

/**
 * Pushes a milestone to the run's branch and records it as the run's head: the durable
 * checkpoints take the last pushed commit as their base. The commits go out only after a
 * secret scan of what they add, and only under the push guard (see push-guard.ts). Returns the
 * commit pushed: the one given, or, on a shared branch that moved, its replay on top.
 */
export function pushToBranch(
  target: PushTarget,
): (sha: string, signal: AbortSignal) => Promise<string> {
  return async (committed, signal) => {
    const { lease } = target;
    const sha = target.shared
      ? await buildOnRemote({ ...target, committer: target.shared.committer }, signal)
      : committed;
    const since = lease.sha ?? (await target.store.runs.mustGet(target.runId)).baseSha;
    if (since === null) throw new Error(`run ${target.runId} has no base commit to push from`);
    await scanBeforePush(target, since, signal);
    try {
      await push(target.worktree, { url: target.url, lease, token: target.token, signal });
    } catch (error) {
      const workflows = workflowsRefusal(error);
      if (workflows !== null) {
        await target.audit.record("git.push_refused", { branch: lease.branch, reason: workflows });
        throw new RunFailure(workflows);
      }
      if (!(error instanceof PushRefused)) throw error;
      await target.audit.record("git.push_refused", {
        branch: lease.branch,
        reason: error.message,
      });
      const refused = safetyEvent({
        control: "push.guard",
        outcome: "blocked",
        detail: `The push guard refused a push to \`${lease.branch}\`: ${error.message}`,
        branch: lease.branch,
      });
      await target.audit.record(refused.type, refused.data);
      throw new RunFailure(error.message);
    }
    lease.sha = sha;
    await target.store.runs.update(target.runId, { headSha: sha });
    await target.audit.record("git.push", { branch: lease.branch, sha });
    return sha;
  };
}

/**
 * GitHub refuses a push that changes `.github/workflows/` from an app without the `workflows`
 * permission. Said plainly, with what to do, rather than as git's error.
 */
function workflowsRefusal(error: unknown): string | null {
  if (!(error instanceof GitError)) return null;
  const match = /refusing to allow a GitHub App to create or update workflow `?([^`\s]+)`?/.exec(
    error.stderr,
  );
  if (match === null) return null;
  return `GitHub refused the push: it changes the workflow file \`${match[1] ?? ".github/workflows/"}\`, and GitHub lets an app push workflow files only when it has the \`workflows\` permission, which this installation did not grant. A writer's approval is not enough: the operator must grant the app that permission (or a person must make the workflow change by hand).`;
}
