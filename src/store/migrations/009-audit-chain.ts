// The audit chain a run appends to: a follow-up run on a pull request writes
// into the chain of the run that opened it (or of the first round on a pull
// request handed over), so the pull request's log is one chain across every
// round. Null: the run's own chain.
import type { Kysely, Migration } from "kysely";

export const auditChain: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("runs").addColumn("audit_chain", "text").execute();
  },
};
