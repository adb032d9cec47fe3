// The rows of a new run: the run itself, queued, and the trigger that asked
// for it (a run may gather more triggers: the many events of one review, the
// answers to its questions, the decisions on its approvals).
import type { Kysely } from "kysely";
import type { Database, RunKind } from "./schema.ts";
import type { NewRun } from "./types.ts";

/** The keys that keep one active run per issue or pull request (see migration 002 and 008). */
export interface NewRunKeys {
  activeKey?: string;
  pendingKey?: string;
  notBefore?: string;
  /** The audit chain it appends to, when not its own (a follow-up's pull request chain). */
  chain?: string;
}

/** Inserts the run `id` unless a run holds one of its keys; undefined then. */
export async function insertRun(
  trx: Kysely<Database>,
  row: { id: string; now: string; input: TriggerInput; kind: RunKind; keys: NewRunKeys },
): Promise<string | undefined> {
  const { id, now, input, kind, keys } = row;
  const inserted = await trx
    .insertInto("runs")
    .values({
      id,
      kind,
      installation_id: input.installationId,
      owner: input.owner,
      repo: input.repo,
      issue_number: input.issueNumber,
      issue_title: input.issueTitle,
      issue_body: input.issueBody,
      requested_by: input.requestedBy,
      requested_by_id: input.requestedById ?? null,
      delivery_id: input.deliveryId,
      state: "queued",
      active_key: keys.activeKey ?? null,
      pending_key: keys.pendingKey ?? null,
      pull_key: null,
      config: JSON.stringify(input.config),
      branch: null,
      tracking_comment_id: null,
      pull_number: null,
      pull_url: null,
      base_sha: null,
      head_sha: null,
      steps_used: 0,
      outcome: null,
      lease_owner: null,
      lease_expires_at: null,
      not_before: keys.notBefore ?? null,
      cancel_requested_at: null,
      cancel_requested_by: null,
      cancel_reason: null,
      agent_result: null,
      check_run_id: null,
      check_run_sha: null,
      audit_check_runs: null,
      dry_run: input.dryRun === true ? 1 : 0,
      continues_run: input.continues ?? null,
      audit_chain: keys.chain ?? null,
      created_at: now,
      updated_at: now,
      finished_at: null,
    })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) return undefined;
  await addTrigger(trx, id, input, now);
  return id;
}

/** A request for a run, and when GitHub says it was made (a follow-up's trigger says). */
type TriggerInput = NewRun & { triggeredAt?: string };

/** Records who asked for the run, in which delivery (once per delivery). */
export async function addTrigger(
  trx: Kysely<Database>,
  runId: string,
  input: TriggerInput,
  now: string,
): Promise<void> {
  const at = input.triggeredAt === undefined ? {} : { triggeredAt: input.triggeredAt };
  await insertTrigger(trx, {
    runId,
    deliveryId: input.deliveryId,
    requestedBy: input.requestedBy,
    data: { title: input.issueTitle, body: input.issueBody, ...at },
    now,
  });
}

/**
 * A trigger of a run: a request for it, an answer to its question, a decision on its approval.
 * One per delivery: a redelivered webhook adds nothing.
 */
export async function insertTrigger(
  trx: Kysely<Database>,
  trigger: { runId: string; deliveryId: string; requestedBy: string; data: unknown; now: string },
): Promise<void> {
  await trx
    .insertInto("run_triggers")
    .values({
      run_id: trigger.runId,
      delivery_id: trigger.deliveryId,
      requested_by: trigger.requestedBy,
      data: JSON.stringify(trigger.data),
      created_at: trigger.now,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}
