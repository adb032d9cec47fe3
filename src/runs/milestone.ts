// Milestones: the work so far committed by the harness (with the audit
// chain's head as a trailer) and, for a run on GitHub, pushed to its branch.
// The `checkpoint` tool, a green verification and the end of a run come here.
import type { AuditSink, Milestone, MilestonePort } from "../agent/ports.ts";
import { commitAll, push, type Identity } from "../workspace/git.ts";
import type { Store } from "./store.ts";

export interface MilestoneOptions {
  worktree: string;
  author: Identity;
  audit: AuditSink;
  /** The audit chain's head right now, for the `Stamina-Audit` trailer. */
  auditHead: () => Promise<string | null | undefined>;
  /** Publishes a new commit (a push under GitHub); absent for a local run. */
  publish?: (sha: string, signal: AbortSignal) => Promise<void>;
}

const SUBJECT_MAX = 72;
const BODY_MAX = 5_000;

export function createMilestones(options: MilestoneOptions): MilestonePort {
  return {
    async checkpoint({ message, reason }, signal): Promise<Milestone> {
      const head = (await options.auditHead()) ?? "";
      const sha = await commitAll(options.worktree, {
        message: `${commitText(message)}\n\nStamina-Audit: ${head}`,
        author: options.author,
      });
      if (sha === null) return { sha: null, pushed: false };
      await options.audit.record("git.commit", { sha, auditHead: head, reason });
      if (options.publish === undefined) return { sha, pushed: false };
      await options.publish(sha, signal);
      return { sha, pushed: true };
    },
  };
}

/**
 * A commit message as git readers expect it: a short subject, a blank line, a body. The
 * model's text is trusted for neither length nor trailers: a `Stamina-Audit` line of its own
 * would contradict the harness's.
 */
export function commitText(message: string): string {
  const lines = message
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .filter((line) => !/^\s*Stamina-Audit:/i.test(line));
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
  store: Pick<Store, "updateRun">;
  runId: string;
  worktree: string;
  audit: AuditSink;
  url: string;
  branch: string;
  token: () => Promise<string>;
}

/**
 * Pushes a milestone to the run's branch and records it as the run's head: the durable
 * checkpoints take the last pushed commit as their base.
 */
export function pushToBranch(
  target: PushTarget,
): (sha: string, signal: AbortSignal) => Promise<void> {
  return async (sha, signal) => {
    await push(target.worktree, {
      url: target.url,
      branch: target.branch,
      token: target.token,
      signal,
    });
    await target.store.updateRun(target.runId, { headSha: sha });
    await target.audit.record("git.push", { branch: target.branch, sha });
  };
}
