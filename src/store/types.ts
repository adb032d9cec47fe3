// A run as the rest of the app sees it: parsed, camel-cased, typed. The store
// converts rows to and from this shape at its edge.
import type { AgentResult } from "../agent/loop.ts";
import type Anthropic from "@anthropic-ai/sdk";
import type { AgentSnapshot } from "../agent/ports.ts";
import type { RepoConfig } from "../policy/config.ts";
import type { RunKind, RunState } from "./schema.ts";

export interface NewRun {
  installationId: number;
  owner: string;
  repo: string;
  issueNumber: number;
  issueTitle: string;
  issueBody: string;
  requestedBy: string;
  /** Their GitHub account id, when the trigger said (the co-author trailer uses it). */
  requestedById?: number | null;
  deliveryId: string;
  config: RepoConfig;
  /** A dry run pushes nothing: it ends with one comment on the issue, the plan and the diff. */
  dryRun?: boolean;
  /** The run this one continues (`/stamina retry`), from its last checkpoint. */
  continues?: string | null;
}

/** How the agent's loop ended (plain JSON), kept once it has, so a resumed run goes straight to finishing. */
export type AgentOutcome = AgentResult;

export interface Run extends NewRun {
  id: string;
  requestedById: number | null;
  dryRun: boolean;
  continues: string | null;
  kind: RunKind;
  state: RunState;
  branch: string | null;
  trackingCommentId: number | null;
  pullNumber: number | null;
  pullUrl: string | null;
  baseSha: string | null;
  headSha: string | null;
  stepsUsed: number;
  outcome: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  attempts: number;
  /** Retries spent on failures that were not the agent's fault (GitHub 5xx, an overloaded model). */
  retries: number;
  /** A retried run waits until then. */
  notBefore: string | null;
  /** Who asked to stop the run, and why ("removed the label", "/stamina stop"); null if nobody. */
  cancelRequestedBy: string | null;
  cancelReason: string | null;
  agentOutcome: AgentOutcome | null;
  /** The "Stamina" check run and the commit it is on, once the run pushed one. */
  checkRun: CheckRunRef | null;
  /** The "Stamina audit log" check runs, in part order, and the commit they are on. */
  auditCheckRuns: AuditCheckRuns | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface CheckRunRef {
  id: number;
  sha: string;
}

export interface AuditCheckRuns {
  sha: string;
  ids: number[];
}

/** Fields a worker may change while it holds the run. */
export type RunPatch = Partial<
  Pick<
    Run,
    | "state"
    | "branch"
    | "trackingCommentId"
    | "pullNumber"
    | "pullUrl"
    | "baseSha"
    | "headSha"
    | "stepsUsed"
    | "outcome"
    | "agentOutcome"
    | "checkRun"
    | "auditCheckRuns"
  >
>;

export interface Delivery {
  id: string;
  event: string;
  action: string | null;
  installationId: number | null;
  payload: string;
  /**
   * What the delivery is about, when it can act (`issue_comment:123`, `pull_request_review:9`):
   * one delivery per key acts, so the same body under a new delivery id is a replay.
   */
  inputKey?: string | null;
}

/** What one agent step leaves for a resume, written in one transaction after the step. */
export interface CheckpointInput {
  step: number;
  /** Only the messages this step appended to the transcript. */
  added: Anthropic.MessageParam[];
  state: AgentSnapshot;
  /** The last commit pushed (the run's head, else the default-branch commit it started from). */
  baseSha: string;
  /**
   * `git diff --binary` of the working tree against baseSha, untracked files included; null when
   * it is the last checkpoint's (same base, same tree): the stored diff is kept, not written again.
   */
  diff: Buffer | null;
}

/** The latest checkpoint and the whole transcript up to it. */
export interface StoredCheckpoint {
  step: number;
  messages: Anthropic.MessageParam[];
  state: AgentSnapshot;
  baseSha: string;
  diff: Buffer;
}

export interface Installation {
  id: number;
  account: string;
  suspendedAt: string | null;
  suspendedBy: string | null;
}
