// Each repository's memory as the store keeps it: one row a file under
// `/memories`, read whole, edited one edit at a time per repository (SQLite's
// write lock; PostgreSQL's advisory lock on the repository), so runs of one
// repository working at once never lose each other's notes.
import { sql, type Kysely } from "kysely";
import type { MemoryChange, MemoryFile, MemoryPort } from "../agent/ports.ts";
import { writeTransaction, type OpenedDatabase } from "./database.ts";
import { LeaseLost } from "./leases.ts";
import type { Database } from "./schema.ts";

/** The key of a repository's memory: `owner/name`, lower-cased as GitHub compares them. */
function memoryKey(repository: string): string {
  return repository.trim().toLowerCase();
}

export interface MemoryEdit<T> {
  result: T;
  change?: MemoryChange;
}

export class MemoryRecords {
  constructor(
    private readonly opened: OpenedDatabase,
    private readonly now: () => string,
  ) {}

  /** The repository's memory files, sorted by path. */
  async files(repository: string, db: Kysely<Database> = this.opened.db): Promise<MemoryFile[]> {
    const rows = await db
      .selectFrom("repository_memory")
      .select(["path", "content"])
      .where("repository", "=", memoryKey(repository))
      .orderBy("path")
      .execute();
    return rows.map((r) => ({ path: r.path, content: r.content }));
  }

  /** When each file was written last, and by which run, for an admin. */
  async described(
    repository: string,
  ): Promise<Array<MemoryFile & { updatedAt: string; updatedBy: string | null }>> {
    const rows = await this.opened.db
      .selectFrom("repository_memory")
      .selectAll()
      .where("repository", "=", memoryKey(repository))
      .orderBy("path")
      .execute();
    return rows.map((r) => ({
      path: r.path,
      content: r.content,
      updatedAt: r.updated_at,
      updatedBy: r.updated_by,
    }));
  }

  /**
   * Runs `edit` on the files as they are and writes its change, in one transaction that no
   * other edit of the same repository's memory interleaves with. `by` names the run.
   */
  async edit<T>(
    repository: string,
    edit: (files: readonly MemoryFile[]) => MemoryEdit<T>,
    by: string | null = null,
    /** The worker that must still hold run `by`: a worker that lost its lease writes nothing. */
    holder?: string,
  ): Promise<T> {
    const key = memoryKey(repository);
    return writeTransaction(this.opened, async (trx) => {
      if (holder !== undefined && by !== null) {
        let query = trx.selectFrom("runs").select("lease_owner").where("id", "=", by);
        if (this.opened.engine === "postgres") query = query.forUpdate();
        if ((await query.executeTakeFirst())?.lease_owner !== holder) throw new LeaseLost();
      }
      if (this.opened.engine === "postgres") {
        // Rows that do not exist yet cannot be locked: the lock is on the repository's name.
        await sql`select pg_advisory_xact_lock(hashtext(${`memory:${key}`}))`.execute(trx);
      }
      const { result, change } = edit(await this.files(key, trx));
      if (change) await this.apply(trx, key, change, by);
      return result;
    });
  }

  private async apply(
    trx: Kysely<Database>,
    key: string,
    change: MemoryChange,
    by: string | null,
  ): Promise<void> {
    const written = new Set(change.put.map((f) => f.path));
    const removed = change.remove.filter((p) => !written.has(p));
    for (let i = 0; i < removed.length; i += 500) {
      await trx
        .deleteFrom("repository_memory")
        .where("repository", "=", key)
        .where("path", "in", removed.slice(i, i + 500))
        .execute();
    }
    const now = this.now();
    for (const file of change.put) {
      await trx
        .insertInto("repository_memory")
        .values({
          repository: key,
          path: file.path,
          content: file.content,
          updated_at: now,
          updated_by: by,
        })
        .onConflict((oc) =>
          oc
            .columns(["repository", "path"])
            .doUpdateSet({ content: file.content, updated_at: now, updated_by: by }),
        )
        .execute();
    }
  }

  /** Forgets the repository's memory; the number of files deleted. */
  async clear(repository: string): Promise<number> {
    return writeTransaction(this.opened, async (trx) => {
      const result = await trx
        .deleteFrom("repository_memory")
        .where("repository", "=", memoryKey(repository))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  /**
   * The port one run uses: this repository's memory, its edits signed with the run's id and,
   * given the worker's id, fenced by its lease.
   */
  port(repository: string, runId: string | null, holder?: string): MemoryPort {
    return {
      read: () => this.files(repository),
      edit: (edit) => this.edit(repository, edit, runId, holder),
    };
  }
}
