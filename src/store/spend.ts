// What runs spend on the model, held to the operator's limits: a run's own total (a retry's
// counts from the first run it continues, an approved extension adds nothing to the limit), and
// each installation's spend per UTC day and per UTC month.
//
// Before each step a run reserves what the step may cost, in a write transaction that sees every
// other run's reservation and locks the installation's ledger (SQLite's BEGIN IMMEDIATE,
// PostgreSQL's advisory lock): two workers cannot both take the last dollar. The step's checkpoint
// then charges what the step really cost, in the checkpoint's own transaction (chargeStep), and
// frees the reservation; a crashed run's reservation lapses after RESERVATION_MS.
import { sql, type Kysely } from "kysely";
import { writeTransaction, type StoreContext } from "./database.ts";
import type { Database } from "./schema.ts";

/** The operator's limits, in US dollars; an unset one does not apply. */
export interface SpendLimits {
  /** What one run may spend, the runs it continues included. */
  perRun?: number;
  /** What an installation's runs may spend in one UTC day. */
  perInstallationDay?: number;
  /** What an installation's runs may spend in one UTC month. */
  perInstallationMonth?: number;
}

export type SpendLimitName = "run" | "day" | "month";

/** A limit a step would pass: which, its amount, and what was spent (and held) against it. */
export interface SpendRefusal {
  limit: SpendLimitName;
  cap: number;
  spent: number;
}

/** A reservation no checkpoint settled in this long (its worker died) holds nothing. */
const RESERVATION_MS = 10 * 60_000;

const MICRO = 1_000_000;
const micro = (dollars: number) => Math.max(0, Math.round(dollars * MICRO));
const dollars = (micro: number) => micro / MICRO;

export class SpendRecords {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Reserves `estimate` dollars for the run's next step, unless a limit would be passed: then
   * nothing is reserved and the refusal says which limit. `runSpent` is what the run's state has
   * spent so far (what its checkpoints charged).
   */
  async reserve(input: {
    runId: string;
    installationId: number;
    runSpent: number;
    estimate: number;
    limits: SpendLimits;
  }): Promise<SpendRefusal | null> {
    const { runId, installationId, limits } = input;
    const estimate = micro(input.estimate);
    const runSpent = micro(input.runSpent);
    if (limits.perRun !== undefined && runSpent + estimate > micro(limits.perRun)) {
      return { limit: "run", cap: limits.perRun, spent: dollars(runSpent) };
    }
    return writeTransaction(this.ctx, async (trx) => {
      await this.lockInstallation(trx, installationId);
      const nowIso = this.ctx.now();
      const held = await this.spentOn(trx, installationId, nowIso, runId);
      const checks: [SpendLimitName, number | undefined, number][] = [
        ["day", limits.perInstallationDay, held.day],
        ["month", limits.perInstallationMonth, held.month],
      ];
      for (const [limit, cap, spent] of checks) {
        if (cap !== undefined && spent + estimate > micro(cap)) {
          return { limit, cap, spent: dollars(spent) };
        }
      }
      await trx
        .insertInto("spend_runs")
        .values({
          run_id: runId,
          installation_id: installationId,
          // A run's first reservation: what its state has spent is what was charged already.
          charged_micro: runSpent,
          reserved_micro: estimate,
          reserved_at: nowIso,
        })
        .onConflict((oc) =>
          oc.column("run_id").doUpdateSet({ reserved_micro: estimate, reserved_at: nowIso }),
        )
        .execute();
      return null;
    });
  }

  /**
   * The limit an installation has used up already (nothing more may be spent against it), or
   * null; `runSpent` checks the per-run limit for a run that continues one that spent it.
   */
  async usedUp(
    installationId: number,
    limits: SpendLimits,
    runSpent = 0,
  ): Promise<SpendRefusal | null> {
    if (limits.perRun !== undefined && micro(runSpent) >= micro(limits.perRun)) {
      return { limit: "run", cap: limits.perRun, spent: runSpent };
    }
    const held = await this.spentOn(this.ctx.db, installationId, this.ctx.now());
    if (limits.perInstallationDay !== undefined && held.day >= micro(limits.perInstallationDay)) {
      return { limit: "day", cap: limits.perInstallationDay, spent: dollars(held.day) };
    }
    const month = limits.perInstallationMonth;
    if (month !== undefined && held.month >= micro(month)) {
      return { limit: "month", cap: month, spent: dollars(held.month) };
    }
    return null;
  }

  /** What the installation's runs were charged today and this month (UTC), in dollars. */
  async totals(installationId: number): Promise<{ day: number; month: number }> {
    const now = this.ctx.now();
    const { day, month } = await this.spentOn(this.ctx.db, installationId, now, null, false);
    return { day: dollars(day), month: dollars(month) };
  }

  /** Serialises the installation's reservations: PostgreSQL's lock (SQLite's is the transaction's). */
  private async lockInstallation(trx: Kysely<Database>, installationId: number): Promise<void> {
    if (this.ctx.engine !== "postgres") return;
    await sql`select pg_advisory_xact_lock(hashtext(${`spend:${installationId}`}))`.execute(trx);
  }

  /** Micro-dollars charged today and this month, plus what other runs hold (unless `held` is false). */
  private async spentOn(
    db: Kysely<Database>,
    installationId: number,
    nowIso: string,
    exceptRun: string | null = null,
    held = true,
  ): Promise<{ day: number; month: number }> {
    const day = nowIso.slice(0, 10);
    const rows = await db
      .selectFrom("spend_ledger")
      .select(["day", "micro_dollars"])
      .where("installation_id", "=", installationId)
      .where("day", "like", `${nowIso.slice(0, 7)}-%`)
      .execute();
    const month = rows.reduce((sum, r) => sum + Number(r.micro_dollars), 0);
    const today = rows
      .filter((r) => r.day === day)
      .reduce((s, r) => s + Number(r.micro_dollars), 0);
    if (!held) return { day: today, month };
    const since = new Date(Date.parse(nowIso) - RESERVATION_MS).toISOString();
    let reserved = db
      .selectFrom("spend_runs")
      .select((eb) => eb.fn.sum<number | string | null>("reserved_micro").as("micro"))
      .where("installation_id", "=", installationId)
      .where("reserved_at", ">=", since);
    if (exceptRun !== null) reserved = reserved.where("run_id", "<>", exceptRun);
    const holding = Number((await reserved.executeTakeFirst())?.micro ?? 0);
    return { day: today + holding, month: month + holding };
  }
}

/**
 * Charges a step's spend inside its checkpoint's transaction: what the run's state has spent
 * beyond what its last checkpoint charged goes on the installation's ledger for today (UTC), and
 * the step's reservation is freed. `spent` is the run's total, in dollars.
 */
export async function chargeStep(
  trx: Kysely<Database>,
  runId: string,
  spent: number,
  nowIso: string,
): Promise<void> {
  const row = await trx
    .selectFrom("spend_runs")
    .select(["charged_micro", "installation_id"])
    .where("run_id", "=", runId)
    .executeTakeFirst();
  const total = micro(spent);
  let charged: number;
  let installationId: number;
  if (row === undefined) {
    // No reservation yet (no limit is set): what an earlier checkpoint of this run (or the one
    // a retry continues, copied to it) recorded was charged already.
    const run = await trx
      .selectFrom("runs")
      .leftJoin("run_checkpoints", "run_checkpoints.run_id", "runs.id")
      .select(["runs.installation_id", "run_checkpoints.state"])
      .where("runs.id", "=", runId)
      .executeTakeFirstOrThrow();
    installationId = Number(run.installation_id);
    charged = run.state === null ? 0 : micro(spentIn(run.state));
    await trx
      .insertInto("spend_runs")
      .values({
        run_id: runId,
        installation_id: installationId,
        charged_micro: total,
        reserved_micro: 0,
        reserved_at: null,
      })
      .execute();
  } else {
    installationId = Number(row.installation_id);
    charged = Number(row.charged_micro);
    await trx
      .updateTable("spend_runs")
      .set({ charged_micro: Math.max(total, charged), reserved_micro: 0, reserved_at: null })
      .where("run_id", "=", runId)
      .execute();
  }
  const delta = total - charged;
  if (delta <= 0) return;
  await trx
    .insertInto("spend_ledger")
    .values({ installation_id: installationId, day: nowIso.slice(0, 10), micro_dollars: delta })
    .onConflict((oc) =>
      oc
        .columns(["installation_id", "day"])
        .doUpdateSet({ micro_dollars: sql`spend_ledger.micro_dollars + ${delta}` }),
    )
    .execute();
}

/** The dollars a stored agent state says were spent (0 when it says nothing readable). */
function spentIn(state: string): number {
  try {
    const parsed = JSON.parse(state) as { spent?: { dollars?: unknown } };
    const value = parsed.spent?.dollars;
    return typeof value === "number" && Number.isFinite(value) ? value : 0;
  } catch {
    return 0;
  }
}
