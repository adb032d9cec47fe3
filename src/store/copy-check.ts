// What `stamina db copy` checks once the copy is committed: the target holds what the source
// holds. Every table has as many rows, and every audit chain on the target is whole (each
// event's hash matches its content, each links to the one before, seq runs 1..n) and ends at
// the head it has in the source: no event was lost, changed or reordered on the way.
import { verifyChain } from "../audit/verify.ts";
import type { OpenedDatabase } from "./database.ts";
import { toEvent } from "./rows.ts";
import { countRows, storedTables } from "./tables.ts";

export interface CopyCheck {
  /** One sentence per difference found; empty when the target holds what the source holds. */
  problems: string[];
  tables: number;
  rows: number;
  chains: number;
}

export async function checkCopy(
  source: OpenedDatabase,
  target: OpenedDatabase,
): Promise<CopyCheck> {
  const problems: string[] = [];
  const tables = await storedTables(source.db, source.engine);
  let rows = 0;
  for (const { name } of tables) {
    const [there, here] = [await countRows(source.db, name), await countRows(target.db, name)];
    rows += there;
    if (there !== here) {
      problems.push(`${name}: ${there} rows in the source, ${here} in the target`);
    }
  }
  const chains = await source.db
    .selectFrom("audit_events")
    .select("run_id")
    .distinct()
    .orderBy("run_id")
    .execute();
  for (const { run_id: chain } of chains) {
    const problem = await checkChain(source, target, chain);
    if (problem !== undefined) problems.push(`the audit chain of run ${chain}: ${problem}`);
  }
  return { problems, tables: tables.length, rows, chains: chains.length };
}

async function checkChain(
  source: OpenedDatabase,
  target: OpenedDatabase,
  chain: string,
): Promise<string | undefined> {
  const head = await source.db
    .selectFrom("audit_events")
    .select("hash")
    .where("run_id", "=", chain)
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  const events = await target.db
    .selectFrom("audit_events")
    .selectAll()
    .where("run_id", "=", chain)
    .orderBy("seq")
    .execute();
  const result = verifyChain(events.map(toEvent));
  if (!result.ok) return `${result.reason} on the target`;
  if (result.head !== head?.hash) {
    return `it ends at ${result.head} on the target, at ${head?.hash ?? "nothing"} in the source`;
  }
  return undefined;
}
