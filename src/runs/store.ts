// The one store interface: deliveries, runs and their audit events, on Kysely.
// Everything else talks to the database only through this module.
import { randomUUID } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import { appendEvent } from "../audit/chain.ts";
import type { AuditEntry, AuditEvent } from "../audit/types.ts";
import type { Redactor } from "../observability/redact.ts";
import { parseRepoConfig } from "../policy/config.ts";
import type { AuditEventsTable, Database, RunsTable, RunState } from "./schema.ts";
import { TERMINAL_STATES } from "./schema.ts";
import type { Delivery, NewRun, Run, RunPatch } from "./types.ts";

export interface StoreOptions {
  db: Kysely<Database>;
  /** Redacts every audit event before it is hashed and stored. */
  redactor: Redactor;
  clock?: () => Date;
  newId?: () => string;
}

export type CreateRunResult = { created: true; run: Run } | { created: false; active: Run };

export class Store {
  readonly db: Kysely<Database>;
  private readonly redactor: Redactor;
  private readonly clock: () => Date;
  private readonly newId: () => string;

  constructor(options: StoreOptions) {
    this.db = options.db;
    this.redactor = options.redactor;
    this.clock = options.clock ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
  }

  private now(): string {
    return this.clock().toISOString();
  }

  // --- deliveries -------------------------------------------------------

  /** Persists a webhook delivery; "duplicate" when its id was seen before. */
  async recordDelivery(delivery: Delivery): Promise<"new" | "duplicate"> {
    const result = await this.db
      .insertInto("deliveries")
      .values({
        id: delivery.id,
        event: delivery.event,
        action: delivery.action,
        installation_id: delivery.installationId,
        payload: delivery.payload,
        received_at: this.now(),
        handled_at: null,
        outcome: null,
      })
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1 ? "new" : "duplicate";
  }

  async markDeliveryHandled(id: string, outcome: string): Promise<void> {
    await this.db
      .updateTable("deliveries")
      .set({ handled_at: this.now(), outcome })
      .where("id", "=", id)
      .execute();
  }

  /** The outcome of a handled delivery, null while unhandled, undefined when never received. */
  async deliveryOutcome(id: string): Promise<string | null | undefined> {
    const row = await this.db
      .selectFrom("deliveries")
      .select(["handled_at", "outcome"])
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) return undefined;
    return row.handled_at === null ? null : (row.outcome ?? "");
  }

  /** Deliveries that were acknowledged but never handled (the process died in between). */
  async unhandledDeliveries(limit = 100): Promise<Delivery[]> {
    const rows = await this.db
      .selectFrom("deliveries")
      .selectAll()
      .where("handled_at", "is", null)
      .orderBy("received_at")
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      event: r.event,
      action: r.action,
      installationId: r.installation_id === null ? null : Number(r.installation_id),
      payload: r.payload,
    }));
  }

  // --- runs -------------------------------------------------------------

  /** Queues a run unless the issue already has an active one. */
  async createRun(input: NewRun): Promise<CreateRunResult> {
    const activeKey = `${input.owner}/${input.repo}#${input.issueNumber}`.toLowerCase();
    const now = this.now();
    const id = this.newId();
    const inserted = await this.db
      .insertInto("runs")
      .values({
        id,
        installation_id: input.installationId,
        owner: input.owner,
        repo: input.repo,
        issue_number: input.issueNumber,
        issue_title: input.issueTitle,
        issue_body: input.issueBody,
        requested_by: input.requestedBy,
        delivery_id: input.deliveryId,
        state: "queued",
        active_key: activeKey,
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
        created_at: now,
        updated_at: now,
        finished_at: null,
      })
      .onConflict((oc) => oc.column("active_key").doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) {
      return { created: true, run: await this.mustGetRun(id) };
    }
    const active = await this.db
      .selectFrom("runs")
      .selectAll()
      .where("active_key", "=", activeKey)
      .executeTakeFirstOrThrow();
    return { created: false, active: toRun(active) };
  }

  async getRun(id: string): Promise<Run | undefined> {
    const row = await this.db
      .selectFrom("runs")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toRun(row) : undefined;
  }

  async mustGetRun(id: string): Promise<Run> {
    const run = await this.getRun(id);
    if (!run) throw new Error(`run ${id} does not exist`);
    return run;
  }

  async listRuns(filter: { state?: RunState } = {}): Promise<Run[]> {
    let query = this.db.selectFrom("runs").selectAll().orderBy("created_at");
    if (filter.state) query = query.where("state", "=", filter.state);
    return (await query.execute()).map(toRun);
  }

  /**
   * Claims the oldest queued run, or one whose lease expired, for `workerId`.
   * The conditional update makes the claim atomic: two workers never get the same run.
   */
  async claimNextRun(workerId: string, leaseMs: number): Promise<Run | undefined> {
    const now = this.clock();
    const nowIso = now.toISOString();
    const candidate = await this.db
      .selectFrom("runs")
      .select(["id", "state", "lease_expires_at"])
      .where((eb) =>
        eb.or([
          eb("state", "=", "queued"),
          eb.and([
            eb("state", "in", ["preparing", "running", "finishing"]),
            eb("lease_expires_at", "<", nowIso),
          ]),
        ]),
      )
      .orderBy("created_at")
      .limit(1)
      .executeTakeFirst();
    if (!candidate) return undefined;
    const claimed = await this.db
      .updateTable("runs")
      .set({
        state: candidate.state === "queued" ? "preparing" : candidate.state,
        lease_owner: workerId,
        lease_expires_at: new Date(now.getTime() + leaseMs).toISOString(),
        attempts: (eb) => eb("attempts", "+", 1),
        updated_at: nowIso,
      })
      .where("id", "=", candidate.id)
      .where("state", "=", candidate.state)
      .where((eb) =>
        candidate.lease_expires_at === null
          ? eb("lease_expires_at", "is", null)
          : eb("lease_expires_at", "=", candidate.lease_expires_at),
      )
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return undefined;
    return this.getRun(candidate.id);
  }

  /** Extends the lease; false when the worker lost it (another worker took the run). */
  async heartbeat(runId: string, workerId: string, leaseMs: number): Promise<boolean> {
    const now = this.clock();
    const result = await this.db
      .updateTable("runs")
      .set({ lease_expires_at: new Date(now.getTime() + leaseMs).toISOString() })
      .where("id", "=", runId)
      .where("lease_owner", "=", workerId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async updateRun(runId: string, patch: RunPatch): Promise<Run> {
    await this.db
      .updateTable("runs")
      .set({ ...toRow(patch), updated_at: this.now() })
      .where("id", "=", runId)
      .execute();
    return this.mustGetRun(runId);
  }

  /** Puts a run this worker holds back in the queue, for any worker to start again. */
  async releaseRun(runId: string, workerId: string): Promise<boolean> {
    const result = await this.db
      .updateTable("runs")
      .set({ state: "queued", lease_owner: null, lease_expires_at: null, updated_at: this.now() })
      .where("id", "=", runId)
      .where("lease_owner", "=", workerId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Ends a run: its terminal state, the outcome in words, the lease and the active slot freed. */
  async finishRun(runId: string, state: RunState, outcome: string): Promise<Run> {
    if (!TERMINAL_STATES.includes(state)) throw new Error(`${state} is not a terminal state`);
    const now = this.now();
    await this.db
      .updateTable("runs")
      .set({
        state,
        outcome,
        active_key: null,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: now,
        finished_at: now,
      })
      .where("id", "=", runId)
      .execute();
    return this.mustGetRun(runId);
  }

  // --- audit ------------------------------------------------------------

  /** Appends events to a run's chain in one transaction; returns them as stored. */
  async appendAudit(runId: string, entries: AuditEntry[]): Promise<AuditEvent[]> {
    return this.db.transaction().execute(async (trx) => {
      const last = await trx
        .selectFrom("audit_events")
        .selectAll()
        .where("run_id", "=", runId)
        .orderBy("seq", "desc")
        .limit(1)
        .executeTakeFirst();
      let prev = last ? toEvent(last) : undefined;
      const appended: AuditEvent[] = [];
      for (const entry of entries) {
        const clean = { type: entry.type, data: this.redactor.redactValue(entry.data) };
        const event = appendEvent(prev, runId, clean, this.now());
        await trx
          .insertInto("audit_events")
          .values({
            run_id: event.run,
            seq: event.seq,
            ts: event.ts,
            type: event.type,
            data: JSON.stringify(event.data),
            prev_hash: event.prevHash,
            hash: event.hash,
          })
          .execute();
        appended.push(event);
        prev = event;
      }
      return appended;
    });
  }

  async auditEvents(runId: string): Promise<AuditEvent[]> {
    const rows = await this.db
      .selectFrom("audit_events")
      .selectAll()
      .where("run_id", "=", runId)
      .orderBy("seq")
      .execute();
    return rows.map(toEvent);
  }

  async auditHead(runId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom("audit_events")
      .select("hash")
      .where("run_id", "=", runId)
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst();
    return row?.hash;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

function toEvent(row: Selectable<AuditEventsTable>): AuditEvent {
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

function toRun(row: Selectable<RunsTable>): Run {
  return {
    id: row.id,
    installationId: Number(row.installation_id),
    owner: row.owner,
    repo: row.repo,
    issueNumber: Number(row.issue_number),
    issueTitle: row.issue_title,
    issueBody: row.issue_body,
    requestedBy: row.requested_by,
    deliveryId: row.delivery_id,
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
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

function toRow(patch: RunPatch): Partial<Selectable<RunsTable>> {
  const row: Partial<Selectable<RunsTable>> = {};
  if (patch.state !== undefined) row.state = patch.state;
  if (patch.branch !== undefined) row.branch = patch.branch;
  if (patch.trackingCommentId !== undefined) row.tracking_comment_id = patch.trackingCommentId;
  if (patch.pullNumber !== undefined) row.pull_number = patch.pullNumber;
  if (patch.pullUrl !== undefined) row.pull_url = patch.pullUrl;
  if (patch.baseSha !== undefined) row.base_sha = patch.baseSha;
  if (patch.headSha !== undefined) row.head_sha = patch.headSha;
  if (patch.stepsUsed !== undefined) row.steps_used = patch.stepsUsed;
  if (patch.outcome !== undefined) row.outcome = patch.outcome;
  return row;
}
