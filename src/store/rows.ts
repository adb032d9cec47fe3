// Rows to the app's types and back, at the store's edge: numbers that the
// engines return as strings (PostgreSQL's bigint), JSON kept as text.
import type { Selectable, Updateable } from "kysely";
import type { AuditEvent } from "../audit/types.ts";
import { parseRepoConfig } from "../policy/config.ts";
import type { AuditEventsTable, RunsTable } from "./schema.ts";
import type { AgentOutcome, AuditCheckRuns, Run, RunPatch } from "./types.ts";

/** The key of an issue or pull request (they share one numbering per repository). */
export function threadKey(owner: string, repo: string, number: number): string {
  return `${owner}/${repo}#${number}`.toLowerCase();
}

export function toEvent(row: Selectable<AuditEventsTable>): AuditEvent {
  return {
    run: row.run_id,
    seq: Number(row.seq),
    ts: row.ts,
    type: row.type,
    data: JSON.parse(row.data) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function toRun(row: Selectable<RunsTable>): Run {
  return {
    id: row.id,
    kind: row.kind,
    installationId: Number(row.installation_id),
    owner: row.owner,
    repo: row.repo,
    issueNumber: Number(row.issue_number),
    issueTitle: row.issue_title,
    issueBody: row.issue_body,
    requestedBy: row.requested_by,
    requestedById: row.requested_by_id === null ? null : Number(row.requested_by_id),
    deliveryId: row.delivery_id,
    dryRun: Number(row.dry_run) === 1,
    continues: row.continues_run,
    state: row.state,
    config: parseRepoConfig(JSON.parse(row.config)),
    branch: row.branch,
    trackingCommentId: row.tracking_comment_id === null ? null : Number(row.tracking_comment_id),
    pullNumber: row.pull_number === null ? null : Number(row.pull_number),
    pullUrl: row.pull_url,
    baseSha: row.base_sha,
    headSha: row.head_sha,
    stepsUsed: Number(row.steps_used),
    outcome: row.outcome,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    attempts: Number(row.attempts),
    retries: Number(row.retries),
    notBefore: row.not_before,
    cancelRequestedBy: row.cancel_requested_by,
    cancelReason: row.cancel_reason,
    agentOutcome: row.agent_result === null ? null : (JSON.parse(row.agent_result) as AgentOutcome),
    checkRun:
      row.check_run_id === null || row.check_run_sha === null
        ? null
        : { id: Number(row.check_run_id), sha: row.check_run_sha },
    auditCheckRuns:
      row.audit_check_runs === null ? null : (JSON.parse(row.audit_check_runs) as AuditCheckRuns),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

export function toRow(patch: RunPatch): Updateable<RunsTable> {
  const row: Updateable<RunsTable> = {};
  if (patch.state !== undefined) row.state = patch.state;
  if (patch.branch !== undefined) row.branch = patch.branch;
  if (patch.trackingCommentId !== undefined) row.tracking_comment_id = patch.trackingCommentId;
  if (patch.pullNumber !== undefined) row.pull_number = patch.pullNumber;
  if (patch.pullUrl !== undefined) row.pull_url = patch.pullUrl;
  if (patch.baseSha !== undefined) row.base_sha = patch.baseSha;
  if (patch.headSha !== undefined) row.head_sha = patch.headSha;
  if (patch.stepsUsed !== undefined) row.steps_used = patch.stepsUsed;
  if (patch.outcome !== undefined) row.outcome = patch.outcome;
  if (patch.agentOutcome !== undefined) {
    row.agent_result = patch.agentOutcome === null ? null : JSON.stringify(patch.agentOutcome);
  }
  if (patch.checkRun !== undefined) {
    row.check_run_id = patch.checkRun?.id ?? null;
    row.check_run_sha = patch.checkRun?.sha ?? null;
  }
  if (patch.auditCheckRuns !== undefined) {
    row.audit_check_runs =
      patch.auditCheckRuns === null ? null : JSON.stringify(patch.auditCheckRuns);
  }
  return row;
}
