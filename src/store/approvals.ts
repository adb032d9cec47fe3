// Approvals as the store keeps them. What a run asks is its last
// `approval.requested` audit event (the log is the record); a writer's
// `/stamina approve` or `deny` is a trigger of the run tied to that request,
// written in the same transaction that puts the run back in the queue. A
// granted approval is tied to the change's fingerprint: the gate lets exactly
// that change through, and asks again for any other.
import type { Kysely } from "kysely";
import { auditChainOf } from "./audit-log.ts";
import { writeTransaction, type OpenedDatabase } from "./database.ts";
import { insertTrigger } from "./new-run.ts";
import type { Database } from "./schema.ts";

/** The event a run records when it starts waiting for `/stamina approve` or `deny`. */
export const APPROVAL_REQUESTED = "approval.requested";

/** What a run waits on: the `approval.requested` event's data, with its place in the log. */
export interface ApprovalRequest {
  seq: number;
  /** `approval` (a held change) or `budget` (an extension). */
  source: string;
  /** The held change's fingerprint; absent for a budget extension. */
  fingerprint?: string;
  /** The change was held at the run's end, after the agent finished. */
  final?: boolean;
  reason: string;
  /**
   * When it was asked: GitHub's time of the comment that asks, where recorded (an answer's own
   * time is GitHub's too), else the store's time of the request.
   */
  askedAt: string;
  /** How an answer names it: the held change's fingerprint, first 12 characters; none for a budget. */
  name?: string;
}

export interface ApprovalDecision {
  by: string;
  granted: boolean;
  request: ApprovalRequest;
}

export class ApprovalRecords {
  constructor(
    private readonly opened: OpenedDatabase,
    private readonly now: () => string,
  ) {}

  /** The approval the run asked for last, or undefined when it never asked. */
  async requested(
    runId: string,
    db: Kysely<Database> = this.opened.db,
  ): Promise<ApprovalRequest | undefined> {
    // A review round writes into its pull request's chain: its request is there.
    const chain = await auditChainOf(db, runId);
    const row = await db
      .selectFrom("audit_events")
      .select(["seq", "ts", "data"])
      .where("run_id", "=", chain)
      .where("type", "=", APPROVAL_REQUESTED)
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst();
    if (!row) return undefined;
    const data = JSON.parse(row.data) as Record<string, unknown>;
    const fingerprint = typeof data.fingerprint === "string" ? data.fingerprint : undefined;
    return {
      seq: Number(row.seq),
      source: typeof data.source === "string" ? data.source : "approval",
      reason: typeof data.reason === "string" ? data.reason : "",
      askedAt: (await this.commentTime(chain, Number(row.seq), db)) ?? row.ts,
      ...(fingerprint ? { fingerprint, name: fingerprint.slice(0, 12) } : {}),
      ...(data.final === true ? { final: true } : {}),
    };
  }

  /** GitHub's time of the comment that asks for approval `seq` of a chain, once recorded. */
  private async commentTime(
    chain: string,
    seq: number,
    db: Kysely<Database>,
  ): Promise<string | undefined> {
    const rows = await db
      .selectFrom("audit_events")
      .select("data")
      .where("run_id", "=", chain)
      .where("type", "=", "github.write")
      .where("seq", ">", seq)
      .orderBy("seq")
      .execute();
    for (const row of rows) {
      const data = JSON.parse(row.data) as Record<string, unknown>;
      if (data.why === "pause" && typeof data.createdAt === "string") return data.createdAt;
    }
    return undefined;
  }

  /**
   * A writer answers the approval a run waits on: recorded with who (and when), and the run
   * queued again. Undefined, changing nothing, when the run does not wait in awaiting_approval,
   * or (`requestSeq`) waits on another request than the one the answer was checked against.
   */
  async decide(
    runId: string,
    answer: { deliveryId: string; by: string; granted: boolean; requestSeq?: number },
  ): Promise<ApprovalDecision | undefined> {
    return writeTransaction(this.opened, async (trx) => {
      const request = await this.requested(runId, trx);
      if (!request) return undefined;
      if (answer.requestSeq !== undefined && request.seq !== answer.requestSeq) return undefined;
      const result = await trx
        .updateTable("runs")
        .set({ state: "queued", not_before: null, updated_at: this.now() })
        .where("id", "=", runId)
        .where("state", "=", "awaiting_approval")
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return undefined;
      await insertTrigger(trx, {
        runId,
        deliveryId: answer.deliveryId,
        requestedBy: answer.by,
        data: {
          approval: answer.granted ? "granted" : "denied",
          requestSeq: request.seq,
          ...(request.fingerprint ? { fingerprint: request.fingerprint } : {}),
        },
        now: this.now(),
      });
      return { by: answer.by, granted: answer.granted, request };
    });
  }

  /** The decision on the approval the run asked for last, once a writer made it. */
  async decisionFor(runId: string): Promise<ApprovalDecision | undefined> {
    const request = await this.requested(runId);
    if (!request) return undefined;
    const decisions = await this.decisions(runId);
    const decision = decisions.reverse().find((d) => d.requestSeq === request.seq);
    return decision && { by: decision.by, granted: decision.granted, request };
  }

  /** Fingerprints of every change a writer approved on the run. */
  async granted(runId: string): Promise<Set<string>> {
    const decisions = await this.decisions(runId);
    return new Set(
      decisions.filter((d) => d.granted && d.fingerprint !== undefined).map((d) => d.fingerprint!),
    );
  }

  /** Who approved each fingerprint a writer approved on the run (the first to approve it). */
  async grantedBy(runId: string): Promise<Map<string, string>> {
    const by = new Map<string, string>();
    for (const d of await this.decisions(runId)) {
      if (d.granted && d.fingerprint !== undefined && !by.has(d.fingerprint)) {
        by.set(d.fingerprint, d.by);
      }
    }
    return by;
  }

  private async decisions(runId: string) {
    const rows = await this.opened.db
      .selectFrom("run_triggers")
      .select(["requested_by", "data", "created_at"])
      .where("run_id", "=", runId)
      .orderBy("created_at")
      .execute();
    return rows.flatMap((row) => {
      const data = JSON.parse(row.data) as Record<string, unknown>;
      if (data.approval !== "granted" && data.approval !== "denied") return [];
      return [
        {
          by: row.requested_by,
          granted: data.approval === "granted",
          requestSeq: Number(data.requestSeq),
          fingerprint: typeof data.fingerprint === "string" ? data.fingerprint : undefined,
        },
      ];
    });
  }
}
