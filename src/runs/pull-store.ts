// The pull requests Stamina works on, as the store knows them: the ones its
// runs opened, and the ones a writer handed to it (`/stamina run` on the pull
// request starts a follow-up there). Reviews on any other pull request are
// not Stamina's to answer.
import { sql } from "kysely";
import type { OpenedDatabase } from "./database.ts";

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
