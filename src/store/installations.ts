// Installations as the store keeps them: created, suspended and unsuspended,
// their repositories added and removed, and everything of a deleted one
// purged: runs, transcripts, checkpoints, audit events, deliveries and the
// memory of its repositories.
import type { Kysely } from "kysely";
import { writeTransaction, type OpenedDatabase } from "./database.ts";
import type { Database } from "./schema.ts";
import type { Installation } from "./types.ts";

export class InstallationRecords {
  constructor(
    private readonly opened: OpenedDatabase,
    private readonly now: () => string,
  ) {}

  private get db(): Kysely<Database> {
    return this.opened.db;
  }

  async get(id: number): Promise<Installation | undefined> {
    const row = await this.db
      .selectFrom("installations")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row
      ? {
          id: Number(row.id),
          account: row.account,
          suspendedAt: row.suspended_at,
          suspendedBy: row.suspended_by,
        }
      : undefined;
  }

  /** Records an installation (or its account's new name); suspension is left as it was. */
  async record(id: number, account: string): Promise<void> {
    const now = this.now();
    await this.db
      .insertInto("installations")
      .values({
        id,
        account,
        suspended_at: null,
        suspended_by: null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column("id").doUpdateSet({ account, updated_at: now }))
      .execute();
  }

  /** While suspended, no run of the installation is queued or claimed. */
  async setSuspended(id: number, account: string, by: string | null): Promise<void> {
    await this.record(id, account);
    await this.db
      .updateTable("installations")
      .set({
        suspended_at: by === null ? null : this.now(),
        suspended_by: by,
        updated_at: this.now(),
      })
      .where("id", "=", id)
      .execute();
  }

  async isSuspended(id: number): Promise<boolean> {
    return (await this.get(id))?.suspendedAt != null;
  }

  async addRepositories(id: number, fullNames: string[]): Promise<void> {
    if (fullNames.length === 0) return;
    const now = this.now();
    await this.db
      .insertInto("installation_repositories")
      .values(fullNames.map((n) => ({ installation_id: id, full_name: n, added_at: now })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async removeRepositories(id: number, fullNames: string[]): Promise<void> {
    if (fullNames.length === 0) return;
    await this.db
      .deleteFrom("installation_repositories")
      .where("installation_id", "=", id)
      .where("full_name", "in", fullNames)
      .execute();
  }

  async repositories(id: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom("installation_repositories")
      .select("full_name")
      .where("installation_id", "=", id)
      .orderBy("full_name")
      .execute();
    return rows.map((r) => r.full_name);
  }

  /**
   * Deletes everything the store holds for an uninstalled installation (but the delivery that
   * says so, `keepDelivery`, which dedupes its redelivery); the ids of the runs it held.
   */
  async purge(id: number, keepDelivery?: string): Promise<string[]> {
    return writeTransaction(this.opened, async (trx) => {
      const runs = await trx
        .selectFrom("runs")
        .select("id")
        .where("installation_id", "=", id)
        .execute();
      const ids = runs.map((r) => r.id);
      // Chunks keep each statement under the engines' bound-parameter limits.
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        await trx.deleteFrom("audit_events").where("run_id", "in", chunk).execute();
        await trx.deleteFrom("run_transcript").where("run_id", "in", chunk).execute();
        await trx.deleteFrom("run_checkpoints").where("run_id", "in", chunk).execute();
        await trx.deleteFrom("run_triggers").where("run_id", "in", chunk).execute();
        await trx.deleteFrom("run_rollbacks").where("run_id", "in", chunk).execute();
      }
      await trx.deleteFrom("spend_runs").where("installation_id", "=", id).execute();
      await trx.deleteFrom("spend_ledger").where("installation_id", "=", id).execute();
      await trx.deleteFrom("runs").where("installation_id", "=", id).execute();
      let deliveries = trx.deleteFrom("deliveries").where("installation_id", "=", id);
      if (keepDelivery !== undefined) deliveries = deliveries.where("id", "!=", keepDelivery);
      await deliveries.execute();
      await trx.deleteFrom("installation_repositories").where("installation_id", "=", id).execute();
      // The memory of the account's repositories goes with it.
      const account = await trx
        .selectFrom("installations")
        .select("account")
        .where("id", "=", id)
        .executeTakeFirst();
      if (account) {
        const prefix = `${account.account.toLowerCase()}/`;
        const remembered = await trx
          .selectFrom("repository_memory")
          .select("repository")
          .distinct()
          .execute();
        const gone = remembered.map((r) => r.repository).filter((r) => r.startsWith(prefix));
        if (gone.length > 0) {
          await trx.deleteFrom("repository_memory").where("repository", "in", gone).execute();
        }
      }
      await trx.deleteFrom("installations").where("id", "=", id).execute();
      return ids;
    });
  }
}
