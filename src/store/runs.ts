// Runs as the store keeps them: queued (one active run per issue or pull
// request; a trigger on a busy pull request waits as its follow-up), read,
// updated as they go, and finished (their keys freed for the next).
import { sql, type Kysely } from "kysely";
import { writeTransaction, type StoreContext } from "./database.ts";
import { holdForQuiet, type FollowUpQuiet } from "./follow-up-quiet.ts";
import { addTrigger, insertRun, type NewRunKeys } from "./new-run.ts";
import { pullChain } from "./pulls.ts";
import type { Database, RunKind, RunState } from "./schema.ts";
import { TERMINAL_STATES } from "./schema.ts";
import { threadKey, toRow, toRun } from "./rows.ts";
import type { NewRun, Run, RunPatch } from "./types.ts";

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

export class RunRecords {
  constructor(
    private readonly ctx: StoreContext,
    private readonly newId: () => string,
  ) {}

  private write<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return writeTransaction(this.ctx, fn);
  }

  private insert(
    trx: Kysely<Database>,
    input: NewRun & { triggeredAt?: string },
    kind: RunKind,
    keys: NewRunKeys,
  ) {
    return insertRun(trx, { id: this.newId(), now: this.ctx.now(), input, kind, keys });
  }

  /**
   * Queues a run unless the issue already has an active one. `holdMs` keeps workers off it for
   * that long or until its tracking comment is stored (setTrackingComment), whichever is first.
   */
  async create(input: NewRun, options: CreateRunOptions = {}): Promise<CreateRunResult> {
    const activeKey = threadKey(input.owner, input.repo, input.issueNumber);
    return this.write(async (trx) => {
      const id = await this.insert(trx, input, options.kind ?? "issue", {
        activeKey,
        notBefore:
          options.holdMs === undefined
            ? undefined
            : new Date(this.ctx.clock().getTime() + options.holdMs).toISOString(),
      });
      if (id !== undefined) {
        await options.within?.(trx, id);
        return { created: true, run: await this.mustGet(id, trx) };
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
   * `triggeredAt` (when GitHub says the event happened) is kept with the trigger's data.
   * `quiet`: the follow-up started or joined waits for the rest of its review (follow-up-quiet.ts).
   */
  async enqueueFollowUp(
    input: NewRun & { pullNumber: number; triggeredAt?: string },
    quiet?: FollowUpQuiet,
  ): Promise<FollowUpResult> {
    const key = threadKey(input.owner, input.repo, input.pullNumber);
    return this.write(async (trx) => {
      if (this.ctx.engine === "postgres") {
        await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
      }
      let query = trx
        .selectFrom("runs")
        .selectAll()
        .where((eb) => eb.or([eb("active_key", "=", key), eb("pull_key", "=", key)]));
      // Locked, so no worker claims it (SKIP LOCKED) while a trigger joins it.
      if (this.ctx.engine === "postgres") query = query.forUpdate();
      const active = await query.executeTakeFirst();
      const subject = { ...input, issueNumber: input.pullNumber };
      const chain = await pullChain(trx, { ...input, number: input.pullNumber });
      const hold = (id: string) => holdForQuiet(trx, id, quiet, this.ctx.clock());
      if (!active) {
        const id = await this.insert(trx, subject, "follow_up", { activeKey: key, chain });
        if (id === undefined) throw new Error(`the pull request ${key} has an active run`);
        await hold(id);
        return { status: "started", run: await this.mustGet(id, trx) };
      }
      if (
        active.kind === "follow_up" &&
        active.state === "queued" &&
        active.attempts === 0 &&
        active.lease_owner === null
      ) {
        await addTrigger(trx, active.id, input, this.ctx.now());
        await hold(active.id);
        return { status: "joined", run: await this.mustGet(active.id, trx) };
      }
      const behind = toRun(active);
      const waiting = await trx
        .selectFrom("runs")
        .selectAll()
        .where("pending_key", "=", key)
        .executeTakeFirst();
      if (waiting) {
        await addTrigger(trx, waiting.id, input, this.ctx.now());
        await hold(waiting.id);
        return { status: "batched", run: await this.mustGet(waiting.id, trx), behind };
      }
      const id = await this.insert(trx, subject, "follow_up", { pendingKey: key, chain });
      if (id === undefined) throw new Error(`the pull request ${key} already has a follow-up`);
      await hold(id);
      return { status: "queued", run: await this.mustGet(id, trx), behind };
    });
  }

  /** The triggers of a run, first to last: who asked, with what the handler kept. */
  async triggers(
    runId: string,
  ): Promise<Array<{ deliveryId: string; requestedBy: string; data: unknown }>> {
    const rows = await this.ctx.db
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

  async get(id: string, db: Kysely<Database> = this.ctx.db): Promise<Run | undefined> {
    const row = await db.selectFrom("runs").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toRun(row) : undefined;
  }

  async mustGet(id: string, db: Kysely<Database> = this.ctx.db): Promise<Run> {
    const run = await this.get(id, db);
    if (!run) throw new Error(`run ${id} does not exist`);
    return run;
  }

  async list(filter: { state?: RunState; installationId?: number } = {}): Promise<Run[]> {
    let query = this.ctx.db.selectFrom("runs").selectAll().orderBy("created_at").orderBy("id");
    if (filter.state) query = query.where("state", "=", filter.state);
    if (filter.installationId !== undefined) {
      query = query.where("installation_id", "=", filter.installationId);
    }
    return (await query.execute()).map(toRun);
  }

  /** The active run on an issue or pull request (the run that opened it, or a follow-up on it). */
  async activeOn(owner: string, repo: string, number: number): Promise<Run | undefined> {
    const key = threadKey(owner, repo, number);
    const row = await this.ctx.db
      .selectFrom("runs")
      .selectAll()
      .where((eb) => eb.or([eb("active_key", "=", key), eb("pull_key", "=", key)]))
      .executeTakeFirst();
    return row ? toRun(row) : undefined;
  }

  /** The runs of a pull request, oldest first: the issue's run that opened it and its review rounds. */
  async ofPull(owner: string, repo: string, pullNumber: number): Promise<Run[]> {
    const rows = await this.ctx.db
      .selectFrom("runs")
      .selectAll()
      .where("owner", "=", owner)
      .where("repo", "=", repo)
      .where("pull_number", "=", pullNumber)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map(toRun);
  }

  /** Runs not yet finished, of an installation (and of some of its repositories). */
  async unfinished(installationId: number, fullNames?: string[]): Promise<Run[]> {
    const runs = await this.ctx.db
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

  async update(runId: string, patch: RunPatch): Promise<Run> {
    await this.write(async (trx) => {
      const row = { ...toRow(patch), updated_at: this.ctx.now() };
      if (patch.pullNumber !== undefined && patch.pullNumber !== null) {
        // The run now also holds its pull request: a trigger there waits for it.
        const run = await this.mustGet(runId, trx);
        if (!TERMINAL_STATES.includes(run.state)) {
          row.pull_key = threadKey(run.owner, run.repo, patch.pullNumber);
        }
      }
      await trx.updateTable("runs").set(row).where("id", "=", runId).execute();
    });
    return this.mustGet(runId);
  }

  /**
   * Stores the run's tracking comment unless one is stored already (false then), and releases
   * the hold `create` put on it: workers may start it now.
   */
  async setTrackingComment(runId: string, commentId: number): Promise<boolean> {
    const result = await this.ctx.db
      .updateTable("runs")
      .set({ tracking_comment_id: commentId, not_before: null, updated_at: this.ctx.now() })
      .where("id", "=", runId)
      .where("tracking_comment_id", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Ends a run: its terminal state, the outcome in words, the lease and its keys freed. */
  async finish(runId: string, state: RunState, outcome: string): Promise<Run> {
    return this.write(async (trx) => {
      await finishRunIn(trx, { runId, state, outcome, now: this.ctx.now() });
      return this.mustGet(runId, trx);
    });
  }

  /** Runs not yet ended, by state (for the metrics' gauge). */
  async countActive(): Promise<Record<string, number>> {
    const rows = await this.ctx.db
      .selectFrom("runs")
      .select(["state", (eb) => eb.fn.countAll<number | string>().as("count")])
      .where("state", "not in", TERMINAL_STATES)
      .groupBy("state")
      .execute();
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.count)]));
  }
}

/** Ends a run inside the caller's transaction; the follow-up waiting behind it becomes active. */
export async function finishRunIn(
  trx: Kysely<Database>,
  end: { runId: string; state: RunState; outcome: string; now: string },
): Promise<void> {
  const { runId, state, outcome, now } = end;
  if (!TERMINAL_STATES.includes(state)) throw new Error(`${state} is not a terminal state`);
  const run = await trx
    .selectFrom("runs")
    .select(["active_key", "pull_key", "pending_key"])
    .where("id", "=", runId)
    .executeTakeFirstOrThrow();
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
  const freed = [run.active_key, run.pull_key].filter((k): k is string => k !== null);
  if (freed.length > 0) {
    await trx
      .updateTable("runs")
      .set((eb) => ({ active_key: eb.ref("pending_key"), pending_key: null, updated_at: now }))
      .where("pending_key", "in", freed)
      .execute();
  }
}
