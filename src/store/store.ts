// The one store: Kysely over SQLite or PostgreSQL, one record store per
// concern (deliveries, runs, leases, pauses, cancels, checkpoints, the audit
// log, installations, memory, rollbacks, retries, approvals, pull requests).
// Everything else talks to the database only through these.
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Redactor } from "../observability/redact.ts";
import { ApprovalRecords } from "./approvals.ts";
import type { AuditSigner } from "../audit/signing.ts";
import { AuditRecords, type AuditObserver } from "./audit-log.ts";
import { CancelRecords } from "./cancels.ts";
import { CheckpointRecords } from "./checkpoints.ts";
import type { Engine, StoreContext } from "./database.ts";
import { DeliveryRecords } from "./deliveries.ts";
import { InstallationRecords } from "./installations.ts";
import { LeaseRecords } from "./leases.ts";
import { MemoryRecords } from "./memory.ts";
import { PauseRecords } from "./pauses.ts";
import { PullRecords } from "./pulls.ts";
import { RetryRecords } from "./retries.ts";
import { RollbackRecords } from "./rollbacks.ts";
import { RunRecords } from "./runs.ts";
import type { Database } from "./schema.ts";
import { SpendRecords } from "./spend.ts";

export interface StoreOptions {
  db: Kysely<Database>;
  engine?: Engine;
  /** Redacts every audit event before it is hashed and stored. */
  redactor: Redactor;
  /** Signs each finished run's audit head (audit/signing.ts); none without an audit key. */
  auditSigner?: AuditSigner;
  clock?: () => Date;
  newId?: () => string;
  /** Told of each audit event once it is stored (the process's metrics). */
  onAudit?: AuditObserver;
}

export class Store {
  readonly db: Kysely<Database>;
  readonly engine: Engine;
  /** Webhook deliveries, persisted before the webhook is answered. */
  readonly deliveries: DeliveryRecords;
  /** Runs: queued, read, updated, finished. */
  readonly runs: RunRecords;
  /** Workers' claims on runs, kept alive by a heartbeat. */
  readonly leases: LeaseRecords;
  /** Runs waiting for a person, and the answers that take them up again. */
  readonly pauses: PauseRecords;
  /** Requests to stop a run. */
  readonly cancels: CancelRecords;
  /** Each run's last step checkpoint and its transcript. */
  readonly checkpoints: CheckpointRecords;
  /** Each run's hash-chained audit events. */
  readonly audit: AuditRecords;
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
  /** What runs spend, held to the operator's limits per run and per installation. */
  readonly spend: SpendRecords;

  constructor(options: StoreOptions) {
    this.db = options.db;
    this.engine = options.engine ?? "sqlite";
    const clock = options.clock ?? (() => new Date());
    const ctx: StoreContext = {
      db: this.db,
      engine: this.engine,
      clock,
      now: () => clock().toISOString(),
    };
    this.deliveries = new DeliveryRecords(ctx);
    this.runs = new RunRecords(ctx, options.newId ?? randomUUID);
    this.leases = new LeaseRecords(ctx, this.runs);
    this.pauses = new PauseRecords(ctx, this.runs);
    this.cancels = new CancelRecords(ctx, this.runs);
    this.checkpoints = new CheckpointRecords(ctx);
    this.audit = new AuditRecords(ctx, options.redactor, options.auditSigner, options.onAudit);
    this.installations = new InstallationRecords(ctx, ctx.now);
    this.memory = new MemoryRecords(ctx, ctx.now);
    this.rollbacks = new RollbackRecords(ctx, ctx.now, (input, within) =>
      this.runs.create(input, { kind: "rollback", within }),
    );
    this.retries = new RetryRecords(ctx, this.runs);
    this.approvals = new ApprovalRecords(ctx, ctx.now);
    this.pulls = new PullRecords(ctx);
    this.spend = new SpendRecords(ctx);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
