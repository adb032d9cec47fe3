// The pull requests Stamina works on, as the store knows them: the ones its
// runs opened, and the ones a writer handed to it (`/stamina run` on the pull
// request starts a follow-up there). Reviews on any other pull request are
// not Stamina's to answer.
import { sql, type Kysely } from "kysely";
import type { OpenedDatabase } from "./database.ts";
import type { Database } from "./schema.ts";

export class PullRecords {
  constructor(private readonly opened: OpenedDatabase) {}

  /** Whether a run opened pull request `number` of the repository, or worked on it as handed over. */
  async isStaminas(owner: string, repo: string, number: number): Promise<boolean> {
    const row = await this.opened.db
      .selectFrom("runs")
      .select("id")
      .where(sql<string>`lower(owner)`, "=", owner.toLowerCase())
      .where(sql<string>`lower(repo)`, "=", repo.toLowerCase())
      .where((eb) =>
        eb.or([
          eb("pull_number", "=", number),
          eb.and([eb("kind", "=", "follow_up"), eb("issue_number", "=", number)]),
        ]),
      )
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}

/**
 * The audit chain a new follow-up on pull request `number` appends to: the chain of the run that
 * opened it, else of the first round on it (a pull request handed over); undefined for the first.
 */
export async function pullChain(
  db: Kysely<Database>,
  where: { owner: string; repo: string; number: number },
): Promise<string | undefined> {
  const first = await db
    .selectFrom("runs")
    .select(["id", "audit_chain"])
    .where(sql<string>`lower(owner)`, "=", where.owner.toLowerCase())
    .where(sql<string>`lower(repo)`, "=", where.repo.toLowerCase())
    .where((eb) =>
      eb.or([
        eb("pull_number", "=", where.number),
        eb.and([eb("kind", "=", "follow_up"), eb("issue_number", "=", where.number)]),
      ]),
    )
    .orderBy(sql`case when kind = 'issue' then 0 else 1 end`)
    .orderBy("created_at")
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
  return first ? (first.audit_chain ?? first.id) : undefined;
}
