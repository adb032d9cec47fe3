// The one store interface: deliveries, runs, their checkpoints and audit
// events, and installations, on Kysely over SQLite or PostgreSQL. Everything
// else talks to the database only through this module.
import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import { appendEvent } from "../audit/chain.ts";
import type { AuditEntry, AuditEvent } from "../audit/types.ts";
import type { Redactor } from "../observability/redact.ts";
import { readCheckpoint, writeCheckpoint } from "./checkpoint-store.ts";
import { claimRun, NO_LIMITS, type ClaimLimits } from "./claim.ts";
import { writeTransaction, type Engine, type OpenedDatabase } from "./database.ts";
import { LeaseLost } from "./interruptions.ts";
import { InstallationRecords } from "./installation-store.ts";
import { MemoryRecords } from "./memory-store.ts";
import { RollbackRecords } from "./rollback-store.ts";
import { RetryRecords } from "./retry-store.ts";
import { ApprovalRecords } from "./approval-store.ts";
import { pullChain, PullRecords } from "./pull-store.ts";
import type { Database, RunKind, RunState } from "./schema.ts";
import { AWAITING_STATES, HELD_STATES, TERMINAL_STATES } from "./schema.ts";
import { threadKey, toEvent, toRow, toRun } from "./store-rows.ts";
import type {
  CheckpointInput,
  Delivery,
  NewRun,
  Run,
  RunPatch,
  StoredCheckpoint,
} from "./types.ts";

export { threadKey } from "./store-rows.ts";

export interface StoreOptions {
  db: Kysely<Database>;
  engine?: Engine;
  /** Redacts every audit event before it is hashed and stored. */
  redactor: Redactor;
  clock?: () => Date;
  newId?: () => string;
}

export interface CreateRunOptions {
  /** Keeps workers off the run for this long, or until its tracking comment is stored. */
  holdMs?: number;
  kind?: RunKind;
  /** Writes what belongs with the new run, in the same transaction (a rollback's request, the checkpoint a retry continues). */
  within?: (trx: Kysely<Database>, runId: string) => Promise<void>;
}

export type CreateRunResult = { created: true; run: Run } | { created: false; active: Run };

/**
 * Where a trigger on a pull request went: it started a run, joined the follow-up that no worker
 * has started yet (the many events of one review), waits behind the active run, or joined the
 * waiting one.
 */
export type FollowUpResult =
  | { status: "started"; run: Run }
  | { status: "joined"; run: Run }
  | { status: "queued"; run: Run; behind: Run }
  | { status: "batched"; run: Run; behind: Run };

/** A person's answer to a paused run: who, in which delivery, and the text. */
export interface RunAnswer {
  deliveryId: string;
  by: string;
  text: string;
}

export type CancelResult =
  | { outcome: "cancelled"; run: Run }
  | { outcome: "requested"; run: Run }
  | { outcome: "finished"; run: Run };

export class Store {
  readonly db: Kysely<Database>;
  readonly engine: Engine;
  readonly installations: InstallationRecords;
  /** Each repository's memory, shared by its runs. */
  readonly memory: MemoryRecords;
  /** `/stamina rollback` requests, and the runs of an issue or a branch they look back on. */
  readonly rollbacks: RollbackRecords;
  /** Runs that continue an earlier one (`/stamina retry`). */
  readonly retries: RetryRecords;
  /** What runs ask writers to approve, and what they answered. */
  readonly approvals: ApprovalRecords;
  /** The pull requests Stamina works on. */
  readonly pulls: PullRecords;
  private readonly opened: OpenedDatabase;
  private readonly redactor: Redactor;
  private readonly clock: () => Date;
  private readonly newId: () => string;

  constructor(options: StoreOptions) {
    this.db = options.db;
    this.engine = options.engine ?? "sqlite";
    this.opened = { db: this.db, engine: this.engine };
    this.redactor = options.redactor;
    this.clock = options.clock ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
    this.installations = new InstallationRecords(this.opened, () => this.now());
    this.memory = new MemoryRecords(this.opened, () => this.now());
    this.rollbacks = new RollbackRecords(
      this.opened,
      () => this.now(),
      (input, within) => this.createRun(input, { kind: "rollback", within }),
    );
    this.retries = new RetryRecords(this);
    this.approvals = new ApprovalRecords(this.opened, () => this.now());
    this.pulls = new PullRecords(this.opened);
  }

  private now(): string {
    return this.clock().toISOString();
  }

  private write<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return writeTransaction(this.opened, fn);
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

  /**
   * Queues a run unless the issue already has an active one. `holdMs` keeps workers off it for
   * that long or until its tracking comment is stored (setTrackingComment), whichever is first.
   */
  async createRun(input: NewRun, options: CreateRunOptions = {}): Promise<CreateRunResult> {
    const activeKey = threadKey(input.owner, input.repo, input.issueNumber);
    return this.write(async (trx) => {
      const id = await this.insertRun(trx, input, options.kind ?? "issue", {
        activeKey,
        notBefore:
          options.holdMs === undefined
            ? undefined
            : new Date(this.clock().getTime() + options.holdMs).toISOString(),
      });
      if (id !== undefined) {
        await options.within?.(trx, id);
        return { created: true, run: await this.mustGetRun(id, trx) };
      }
      const active = await trx
        .selectFrom("runs")
        .selectAll()
        .where("active_key", "=", activeKey)
        .executeTakeFirstOrThrow();
      return { created: false, active: toRun(active) };
    });
  }

  /**
   * A trigger on a pull request: it starts a run when none is active there, else it waits as
   * the follow-up of the active one; later triggers join that follow-up rather than queue more.
   */
  async enqueueFollowUp(input: NewRun & { pullNumber: number }): Promise<FollowUpResult> {
    const key = threadKey(input.owner, input.repo, input.pullNumber);
    return this.write(async (trx) => {
      if (this.engine === "postgres") {
        await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
      }
      let query = trx
        .selectFrom("runs")
        .selectAll()
        .where((eb) => eb.or([eb("active_key", "=", key), eb("pull_key", "=", key)]));
      // Locked, so no worker claims it (SKIP LOCKED) while a trigger joins it.
      if (this.engine === "postgres") query = query.forUpdate();
      const active = await query.executeTakeFirst();
      const subject = { ...input, issueNumber: input.pullNumber };
      const chain = await pullChain(trx, { ...input, number: input.pullNumber });
      if (!active) {
        const id = await this.insertRun(trx, subject, "follow_up", { activeKey: key, chain });
        if (id === undefined) throw new Error(`the pull request ${key} has an active run`);
        return { status: "started", run: await this.mustGetRun(id, trx) };
      }
      if (
        active.kind === "follow_up" &&
        active.state === "queued" &&
        active.attempts === 0 &&
        active.lease_owner === null
      ) {
        await this.addTrigger(trx, active.id, input);
        return { status: "joined", run: toRun(active) };
      }
      const behind = toRun(active);
      const waiting = await trx
        .selectFrom("runs")
        .selectAll()
        .where("pending_key", "=", key)
        .executeTakeFirst();
      if (waiting) {
        await this.addTrigger(trx, waiting.id, input);
        return { status: "batched", run: toRun(waiting), behind };
      }
      const id = await this.insertRun(trx, subject, "follow_up", { pendingKey: key, chain });
      if (id === undefined) throw new Error(`the pull request ${key} already has a follow-up`);
      return { status: "queued", run: await this.mustGetRun(id, trx), behind };
    });
  }

  /** The triggers of a run, first to last: who asked, with what the handler kept. */
  async runTriggers(
    runId: string,
  ): Promise<Array<{ deliveryId: string; requestedBy: string; data: unknown }>> {
    const rows = await this.db
      .selectFrom("run_triggers")
      .selectAll()
      .where("run_id", "=", runId)
      .orderBy("created_at")
      .execute();
    return rows.map((r) => ({
      deliveryId: r.delivery_id,
      requestedBy: r.requested_by,
      data: JSON.parse(r.data) as unknown,
    }));
  }

  private async insertRun(
    trx: Kysely<Database>,
    input: NewRun,
    kind: RunKind,
    keys: { activeKey?: string; pendingKey?: string; notBefore?: string; chain?: string },
  ): Promise<string | undefined> {
    const now = this.now();
    const id = this.newId();
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
    await this.addTrigger(trx, id, input);
    return id;
  }

  private async addTrigger(trx: Kysely<Database>, runId: string, input: NewRun): Promise<void> {
    await trx
      .insertInto("run_triggers")
      .values({
        run_id: runId,
        delivery_id: input.deliveryId,
        requested_by: input.requestedBy,
        data: JSON.stringify({ title: input.issueTitle, body: input.issueBody }),
        created_at: this.now(),
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async getRun(id: string, db: Kysely<Database> = this.db): Promise<Run | undefined> {
    const row = await db.selectFrom("runs").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toRun(row) : undefined;
  }

  async mustGetRun(id: string, db: Kysely<Database> = this.db): Promise<Run> {
    const run = await this.getRun(id, db);
    if (!run) throw new Error(`run ${id} does not exist`);
    return run;
  }

  async listRuns(filter: { state?: RunState; installationId?: number } = {}): Promise<Run[]> {
    let query = this.db.selectFrom("runs").selectAll().orderBy("created_at").orderBy("id");
    if (filter.state) query = query.where("state", "=", filter.state);
    if (filter.installationId !== undefined) {
      query = query.where("installation_id", "=", filter.installationId);
    }
    return (await query.execute()).map(toRun);
  }

  /** The active run on an issue or pull request (the run that opened it, or a follow-up on it). */
  async activeRunOn(owner: string, repo: string, number: number): Promise<Run | undefined> {
    const key = threadKey(owner, repo, number);
    const row = await this.db
      .selectFrom("runs")
      .selectAll()
      .where((eb) => eb.or([eb("active_key", "=", key), eb("pull_key", "=", key)]))
      .executeTakeFirst();
    return row ? toRun(row) : undefined;
  }

  /** Runs not yet finished, of an installation (and of some of its repositories). */
  async unfinishedRuns(installationId: number, fullNames?: string[]): Promise<Run[]> {
    const runs = await this.db
      .selectFrom("runs")
      .selectAll()
      .where("installation_id", "=", installationId)
      .where("state", "not in", TERMINAL_STATES)
      .orderBy("created_at")
      .execute();
    const wanted = fullNames && new Set(fullNames.map((n) => n.toLowerCase()));
    return runs
      .map(toRun)
      .filter((r) => !wanted || wanted.has(`${r.owner}/${r.repo}`.toLowerCase()));
  }

  /**
   * Claims the oldest run a worker may start (queued and due, or abandoned by its worker) for
   * `workerId`, within the caps. Two workers never get the same run.
   */
  async claimNextRun(
    workerId: string,
    leaseMs: number,
    limits: ClaimLimits = NO_LIMITS,
  ): Promise<Run | undefined> {
    const id = await claimRun(this.opened, { workerId, leaseMs, now: this.clock(), limits });
    return id === undefined ? undefined : this.getRun(id);
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
    await this.write(async (trx) => {
      const row = { ...toRow(patch), updated_at: this.now() };
      if (patch.pullNumber !== undefined && patch.pullNumber !== null) {
        // The run now also holds its pull request: a trigger there waits for it.
        const run = await this.mustGetRun(runId, trx);
        if (!TERMINAL_STATES.includes(run.state)) {
          row.pull_key = threadKey(run.owner, run.repo, patch.pullNumber);
        }
      }
      await trx.updateTable("runs").set(row).where("id", "=", runId).execute();
    });
    return this.mustGetRun(runId);
  }

  /**
   * Stores the run's tracking comment unless one is stored already (false then), and releases
   * the hold createRun put on it: workers may start it now.
   */
  async setTrackingComment(runId: string, commentId: number): Promise<boolean> {
    const result = await this.db
      .updateTable("runs")
      .set({ tracking_comment_id: commentId, not_before: null, updated_at: this.now() })
      .where("id", "=", runId)
      .where("tracking_comment_id", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Puts a run this worker holds back in the queue (for any worker), at once or after `notBefore`. */
  async releaseRun(
    runId: string,
    workerId: string,
    options: { notBefore?: Date; retry?: boolean } = {},
  ): Promise<boolean> {
    const result = await this.db
      .updateTable("runs")
      .set((eb) => ({
        state: "queued",
        lease_owner: null,
        lease_expires_at: null,
        not_before: options.notBefore?.toISOString() ?? null,
        retries: options.retry ? eb("retries", "+", 1) : eb.ref("retries"),
        updated_at: this.now(),
      }))
      .where("id", "=", runId)
      .where("lease_owner", "=", workerId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** The run waits for a person: no worker holds it, and no worker claims it until it is answered. */
  async pauseRun(
    runId: string,
    workerId: string,
    state: "awaiting_reply" | "awaiting_approval",
  ): Promise<boolean> {
    const result = await this.db
      .updateTable("runs")
      .set({ state, lease_owner: null, lease_expires_at: null, updated_at: this.now() })
      .where("id", "=", runId)
      .where("lease_owner", "=", workerId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Runs that have waited for a person since before `cutoff` (their last change, the pause). */
  async waitingSince(cutoff: Date): Promise<Run[]> {
    const rows = await this.db
      .selectFrom("runs")
      .selectAll()
      .where("state", "in", AWAITING_STATES)
      .where("updated_at", "<", cutoff.toISOString())
      .orderBy("updated_at")
      .execute();
    return rows.map(toRun);
  }

  /**
   * A paused run got its answer: back to the queue, to resume from its checkpoint. The answer,
   * when given, is kept with the step it answers, for the resumed loop to read (`pendingAnswer`).
   * False when the run was not waiting (someone answered first).
   */
  async answerRun(runId: string, answer?: RunAnswer): Promise<boolean> {
    return this.write(async (trx) => {
      const result = await trx
        .updateTable("runs")
        .set({ state: "queued", not_before: null, updated_at: this.now() })
        .where("id", "=", runId)
        .where("state", "in", AWAITING_STATES)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      if (answer) {
        const checkpoint = await trx
          .selectFrom("run_checkpoints")
          .select("step")
          .where("run_id", "=", runId)
          .executeTakeFirst();
        await trx
          .insertInto("run_triggers")
          .values({
            run_id: runId,
            delivery_id: answer.deliveryId,
            requested_by: answer.by,
            data: JSON.stringify({ answer: answer.text, step: checkpoint?.step ?? 0 }),
            created_at: this.now(),
          })
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      return true;
    });
  }

  /** The answer to the pause after `step`, while no later step has been checkpointed. */
  async pendingAnswer(
    runId: string,
    step: number,
  ): Promise<Omit<RunAnswer, "deliveryId"> | undefined> {
    const triggers = await this.runTriggers(runId);
    for (const trigger of triggers.reverse()) {
      const data = trigger.data as { answer?: unknown; step?: unknown };
      if (typeof data.answer === "string" && data.step === step) {
        return { by: trigger.requestedBy, text: data.answer };
      }
    }
    return undefined;
  }

  /**
   * Asks a run to stop. A run no worker has started ends at once; one with work to keep (held
   * by a worker, or resumable from a checkpoint) is flagged, and the worker that holds or next
   * claims it pushes the work so far before it ends.
   */
  async requestCancel(
    runId: string,
    by: string,
    reason: string,
    /** End it now unless a worker holds it (its work cannot be pushed anyway: a suspension). */
    options: { unlessHeld?: boolean } = {},
  ): Promise<CancelResult> {
    return this.write(async (trx) => {
      const run = await this.mustGetRun(runId, trx);
      if (TERMINAL_STATES.includes(run.state)) return { outcome: "finished", run };
      const now = this.now();
      const held =
        HELD_STATES.includes(run.state) && run.leaseExpiresAt !== null && run.leaseExpiresAt >= now;
      if ((run.state === "queued" && run.attempts === 0) || (options.unlessHeld && !held)) {
        await this.finishRunIn(trx, runId, "cancelled", `stopped: ${reason}`);
        await trx
          .updateTable("runs")
          .set({ cancel_requested_at: now, cancel_requested_by: by, cancel_reason: reason })
          .where("id", "=", runId)
          .execute();
        return { outcome: "cancelled", run: await this.mustGetRun(runId, trx) };
      }
      const waiting = run.state === "queued" || AWAITING_STATES.includes(run.state);
      await trx
        .updateTable("runs")
        .set({
          cancel_requested_at: now,
          cancel_requested_by: by,
          cancel_reason: reason,
          // A waiting run goes back to the queue now, so a worker pushes its work and ends it.
          ...(waiting ? { state: "queued" as const, not_before: null } : {}),
          updated_at: now,
        })
        .where("id", "=", runId)
        .execute();
      return { outcome: "requested", run: await this.mustGetRun(runId, trx) };
    });
  }

  /** The runs this worker holds that someone asked to stop. */
  async cancelRequests(workerId: string): Promise<Run[]> {
    const rows = await this.db
      .selectFrom("runs")
      .selectAll()
      .where("lease_owner", "=", workerId)
      .where("cancel_requested_at", "is not", null)
      .execute();
    return rows.map(toRun);
  }

  /** Ends a run: its terminal state, the outcome in words, the lease and its keys freed. */
  async finishRun(runId: string, state: RunState, outcome: string): Promise<Run> {
    return this.write(async (trx) => {
      await this.finishRunIn(trx, runId, state, outcome);
      return this.mustGetRun(runId, trx);
    });
  }

  private async finishRunIn(
    trx: Kysely<Database>,
    runId: string,
    state: RunState,
    outcome: string,
  ): Promise<void> {
    if (!TERMINAL_STATES.includes(state)) throw new Error(`${state} is not a terminal state`);
    const run = await trx
      .selectFrom("runs")
      .select(["active_key", "pull_key", "pending_key"])
      .where("id", "=", runId)
      .executeTakeFirstOrThrow();
    const now = this.now();
    await trx
      .updateTable("runs")
      .set({
        state,
        outcome,
        active_key: null,
        pull_key: null,
        pending_key: null,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: now,
        finished_at: now,
      })
      .where("id", "=", runId)
      .execute();
    // The follow-up waiting for this run becomes the active run of its pull request.
    const freed = [run.active_key, run.pull_key].filter((k): k is string => k !== null);
    if (freed.length > 0) {
      await trx
        .updateTable("runs")
        .set((eb) => ({ active_key: eb.ref("pending_key"), pending_key: null, updated_at: now }))
        .where("pending_key", "in", freed)
        .execute();
    }
  }

  // --- checkpoints --------------------------------------------------------

  /** Persists one step's checkpoint; throws LeaseLost when `workerId` no longer holds the run. */
  async saveCheckpoint(runId: string, workerId: string, input: CheckpointInput): Promise<void> {
    await this.write(async (trx) => {
      await this.assertHolder(trx, runId, workerId);
      await writeCheckpoint(trx, runId, input, this.now());
    });
  }

  async loadCheckpoint(runId: string): Promise<StoredCheckpoint | undefined> {
    return readCheckpoint(this.db, runId);
  }

  private async assertHolder(
    trx: Kysely<Database>,
    runId: string,
    workerId: string,
  ): Promise<void> {
    let query = trx.selectFrom("runs").select("lease_owner").where("id", "=", runId);
    if (this.engine === "postgres") query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (row?.lease_owner !== workerId) throw new LeaseLost();
  }

  // --- audit ------------------------------------------------------------

  /** The id of the chain a run's events go to: its pull request's (a follow-up's), else its own. */
  private async chainOf(runId: string, db: Kysely<Database> = this.db): Promise<string> {
    const row = await db
      .selectFrom("runs")
      .select("audit_chain")
      .where("id", "=", runId)
      .executeTakeFirst();
    return row?.audit_chain ?? runId;
  }

  /**
   * Appends events to a run's chain in one transaction; returns them as stored. With `holder`,
   * only while that worker holds the run: a worker that lost its lease adds nothing. A follow-up
   * run appends to its pull request's chain (see migration 009).
   */
  async appendAudit(runId: string, entries: AuditEntry[], holder?: string): Promise<AuditEvent[]> {
    return this.write(async (trx) => {
      if (holder !== undefined) await this.assertHolder(trx, runId, holder);
      const chain = await this.chainOf(runId, trx);
      if (this.engine === "postgres") {
        // Appends to one chain take turns: each reads the last event and writes the next.
        await trx.selectFrom("runs").select("id").where("id", "=", chain).forUpdate().execute();
      }
      const last = await trx
        .selectFrom("audit_events")
        .selectAll()
        .where("run_id", "=", chain)
        .orderBy("seq", "desc")
        .limit(1)
        .executeTakeFirst();
      let prev = last ? toEvent(last) : undefined;
      const appended: AuditEvent[] = [];
      for (const entry of entries) {
        const clean = { type: entry.type, data: this.redactor.redactValue(entry.data) };
        const event = appendEvent(prev, chain, clean, this.now());
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

  /** The events of the run's chain (for a follow-up, every round of its pull request). */
  async auditEvents(runId: string): Promise<AuditEvent[]> {
    const chain = await this.chainOf(runId);
    const rows = await this.db
      .selectFrom("audit_events")
      .selectAll()
      .where("run_id", "=", chain)
      .orderBy("seq")
      .execute();
    return rows.map(toEvent);
  }

  async auditHead(runId: string): Promise<string | undefined> {
    const chain = await this.chainOf(runId);
    const row = await this.db
      .selectFrom("audit_events")
      .select("hash")
      .where("run_id", "=", chain)
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst();
    return row?.hash;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
