// The audit log as the store keeps it: each run's events appended to its
// hash chain in one transaction (redacted before they are hashed), fenced by
// the worker's lease, and read back whole. A follow-up run appends to its pull
// request's chain (see migration 009), so one chain covers every round. With
// an audit key, each `run.finished` is followed by the key's signature of it.
import type { Kysely } from "kysely";
import { appendEvent } from "../audit/chain.ts";
import { SIGNED_EVENT, type AuditSigner } from "../audit/signing.ts";
import type { AuditEntry, AuditEvent } from "../audit/types.ts";
import { REDACTED, type Redactor } from "../observability/redact.ts";
import { SAFETY_EVENT, safetyEvent } from "../audit/safety.ts";
import { writeTransaction, type StoreContext } from "./database.ts";
import { assertHolder } from "./leases.ts";
import type { Database } from "./schema.ts";
import { toEvent } from "./rows.ts";

/** Told of each audit event once it is stored, with the run it was appended for. */
export type AuditObserver = (runId: string, type: string, data: Record<string, unknown>) => void;

export class AuditRecords {
  constructor(
    private readonly ctx: StoreContext,
    /** Redacts every event before it is hashed and stored. */
    private readonly redactor: Redactor,
    /** Signs the head of each finished run (signing.ts); none when no audit key is set. */
    private readonly signer?: AuditSigner,
    /** Told of each event once it is stored (the process's metrics). */
    private readonly observe?: AuditObserver,
  ) {}

  /**
   * Appends events to a run's chain in one transaction; returns them as stored. With `holder`,
   * only while that worker holds the run: a worker that lost its lease adds nothing.
   */
  async append(runId: string, entries: AuditEntry[], holder?: string): Promise<AuditEvent[]> {
    const appended = await this.write(runId, entries, holder);
    for (const event of appended) this.observe?.(runId, event.type, event.data);
    return appended;
  }

  private write(runId: string, entries: AuditEntry[], holder?: string): Promise<AuditEvent[]> {
    return writeTransaction(this.ctx, async (trx) => {
      if (holder !== undefined) await assertHolder(trx, this.ctx.engine, runId, holder);
      const chain = await auditChainOf(trx, runId);
      if (this.ctx.engine === "postgres") {
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
      const queue = [...entries];
      for (let entry = queue.shift(); entry !== undefined; entry = queue.shift()) {
        let caught = false;
        const data = this.redactor.redactValue(entry.data, () => (caught = true));
        const clean = { type: entry.type, data };
        const event = appendEvent(prev, chain, clean, this.ctx.now());
        // The last line of defence says when it acted (never after the log's closing events).
        if (caught && !UNMARKED.has(entry.type)) queue.unshift(caughtSecret(entry.type));
        // A finished run's log closes with the audit key's signature of its head.
        if (this.signer !== undefined && event.type === "run.finished") {
          const signature = this.signer.sign(event.hash);
          queue.unshift({ type: SIGNED_EVENT, data: { head: event.hash, signature } });
        }
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

  /**
   * The events of the run's chain (for a follow-up, every round of its pull request); with
   * `after`, only those whose seq is greater (what a live page has not yet seen).
   */
  async events(runId: string, after = 0): Promise<AuditEvent[]> {
    const chain = await auditChainOf(this.ctx.db, runId);
    const rows = await this.ctx.db
      .selectFrom("audit_events")
      .selectAll()
      .where("run_id", "=", chain)
      .where("seq", ">", after)
      .orderBy("seq")
      .execute();
    return rows.map(toEvent);
  }

  /** The hash of the chain's last event, the head a commit's trailer names. */
  async head(runId: string): Promise<string | undefined> {
    const chain = await auditChainOf(this.ctx.db, runId);
    const row = await this.ctx.db
      .selectFrom("audit_events")
      .select("hash")
      .where("run_id", "=", chain)
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst();
    return row?.hash;
  }
}

/** Events a caught secret is not reported after: the safety event itself, and a log's end. */
const UNMARKED = new Set([SAFETY_EVENT, "run.finished", SIGNED_EVENT]);

function caughtSecret(type: string): AuditEntry {
  return safetyEvent({
    control: "audit.redaction",
    outcome: "redacted",
    detail: `a secret in a \`${type}\` event was replaced with ${REDACTED} before the event was stored; whatever is written from the log (a review round's replies, the pull request's audit section) carries it redacted`,
    event: type,
  });
}

/** The id of the chain a run's events go to: its pull request's (a follow-up's), else its own. */
export async function auditChainOf(db: Kysely<Database>, runId: string): Promise<string> {
  const row = await db
    .selectFrom("runs")
    .select("audit_chain")
    .where("id", "=", runId)
    .executeTakeFirst();
  return row?.audit_chain ?? runId;
}
