// The database tables as Kysely sees them. One definition for every engine;
// JSON columns are stored as text and parsed at the store's edge.
import type { ColumnType } from "kysely";

export type RunState =
  | "queued"
  | "preparing"
  | "running"
  | "awaiting_approval"
  | "awaiting_reply"
  | "finishing"
  | "succeeded"
  | "failed"
  | "cancelled"
  | "out_of_budget";

export const TERMINAL_STATES: readonly RunState[] = [
  "succeeded",
  "failed",
  "cancelled",
  "out_of_budget",
];

/** States in which a worker holds the run under a lease. */
export const HELD_STATES: readonly RunState[] = ["preparing", "running", "finishing"];

/** States in which a run waits for a person and holds no worker. */
export const AWAITING_STATES: readonly RunState[] = ["awaiting_approval", "awaiting_reply"];

/**
 * "rollback": a `/stamina rollback` request, done by a worker (runs/kinds/rollback.ts).
 * "recheck": the checks run again on a pull request's head, asked for by "Re-run" on the
 * Stamina check (runs/kinds/recheck.ts); its issue number is the pull request's.
 */
export type RunKind = "issue" | "follow_up" | "rollback" | "recheck";

interface DeliveriesTable {
  id: string;
  event: string;
  action: string | null;
  installation_id: number | null;
  payload: string;
  received_at: string;
  handled_at: string | null;
  outcome: string | null;
  /** What the delivery is about (`issue_comment:123`), unique: a replay under a new id is caught. */
  input_key: string | null;
}

/** Deliveries refused for load, and whether Stamina has asked GitHub to send each again. */
interface RedeliveryRequestsTable {
  guid: string;
  /** GitHub's id of the delivery in `GET /app/hook/deliveries`, once found there. */
  hook_delivery_id: string | null;
  refused_at: string;
  requested_at: string | null;
  attempts: number;
}

export interface RunsTable {
  id: string;
  installation_id: number;
  owner: string;
  repo: string;
  issue_number: number;
  issue_title: string;
  issue_body: string;
  requested_by: string;
  requested_by_id: ColumnType<number | string | null, number | null | undefined, number | null>;
  delivery_id: string;
  state: RunState;
  /** Non-null while the run is active: the partial unique index keeps one active run per issue. */
  active_key: string | null;
  config: string;
  branch: string | null;
  tracking_comment_id: number | null;
  pull_number: number | null;
  pull_url: string | null;
  base_sha: string | null;
  head_sha: string | null;
  steps_used: number;
  outcome: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  kind: ColumnType<RunKind, RunKind | undefined, RunKind>;
  pull_key: string | null;
  pending_key: string | null;
  not_before: string | null;
  retries: ColumnType<number, number | undefined, number>;
  cancel_requested_at: string | null;
  cancel_requested_by: string | null;
  cancel_reason: string | null;
  agent_result: string | null;
  check_run_id: number | null;
  check_run_sha: string | null;
  audit_check_runs: string | null;
  /** 1: a dry run (SQLite has no booleans; 0 or 1 on both engines). */
  dry_run: ColumnType<number, number | undefined, number>;
  /** The run a `/stamina retry` continues. */
  continues_run: string | null;
  /** The run whose audit chain this run appends to (a follow-up's pull request's); null: its own. */
  audit_chain: ColumnType<string | null, string | null | undefined, string | null>;
}

interface RunTranscriptTable {
  run_id: string;
  idx: number;
  step: number;
  message: string;
}

interface RunCheckpointsTable {
  run_id: string;
  step: number;
  state: string;
  base_sha: string;
  diff: string;
  diff_bytes: number;
  created_at: string;
}

interface RunTriggersTable {
  run_id: string;
  delivery_id: string;
  requested_by: string;
  data: string;
  created_at: string;
}

interface InstallationsTable {
  id: number;
  account: string;
  suspended_at: string | null;
  suspended_by: string | null;
  created_at: string;
  updated_at: string;
}

interface InstallationRepositoriesTable {
  installation_id: number;
  full_name: string;
  added_at: string;
}

export interface AuditEventsTable {
  run_id: string;
  seq: number;
  ts: string;
  type: string;
  data: string;
  prev_hash: string;
  hash: string;
}

interface RepositoryMemoryTable {
  repository: string;
  path: string;
  content: string;
  updated_at: string;
  updated_by: string | null;
}

interface RunRollbacksTable {
  /** The rollback's own run (kind "rollback"). */
  run_id: string;
  /** The run whose branch is rolled back. */
  target_run_id: string;
  branch: string;
  /** The checkpoint's commit, whose tree the new commit gets. */
  to_sha: string;
  /** The checkpoint's number, as `/stamina status` lists them. */
  checkpoint: number;
  /** The issue or pull request the command was on, where the answer goes. */
  asked_on: number;
  requested_by: string;
  created_at: string;
}

interface SpendLedgerTable {
  installation_id: number;
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  micro_dollars: number;
}

interface SpendRunsTable {
  run_id: string;
  installation_id: number;
  charged_micro: number;
  reserved_micro: number;
  reserved_at: string | null;
}

export interface Database {
  deliveries: DeliveriesTable;
  redelivery_requests: RedeliveryRequestsTable;
  runs: RunsTable;
  audit_events: AuditEventsTable;
  run_transcript: RunTranscriptTable;
  run_checkpoints: RunCheckpointsTable;
  run_triggers: RunTriggersTable;
  installations: InstallationsTable;
  installation_repositories: InstallationRepositoriesTable;
  repository_memory: RepositoryMemoryTable;
  run_rollbacks: RunRollbacksTable;
  spend_ledger: SpendLedgerTable;
  spend_runs: SpendRunsTable;
}
