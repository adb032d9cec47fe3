// `/stamina rollback` requests as the store keeps them: a run of kind
// "rollback" (so it is queued, leased and claimed like any run, and an issue
// still has one active run) with a row of what it rolls back, written in one
// transaction. Also the look-backs the command and `/stamina status` need:
// the last run on an issue or pull request, and the runs that worked on a
// branch (whose audit logs hold the branch's checkpoints).
import type { Kysely } from "kysely";
import type { OpenedDatabase } from "./database.ts";
import type { Database, RunKind } from "./schema.ts";
import type { CreateRunResult } from "./runs.ts";
import { toRun } from "./rows.ts";
import type { NewRun, Run } from "./types.ts";

/** What a rollback restores, and who asked where. */
export interface RollbackRequest {
  /** The run whose branch is rolled back. */
  targetRunId: string;
  branch: string;
  /** The checkpoint's commit: the new commit gets its tree. */
  toSha: string;
  /** The checkpoint's number, as `/stamina status` lists them. */
  checkpoint: number;
  /** The issue or pull request the command was on, where the answer goes. */
  askedOn: number;
  /** `@login` */
  requestedBy: string;
}

export interface Rollback extends RollbackRequest {
  /** The rollback's own run (kind "rollback"). */
  runId: string;
  createdAt: string;
}

type CreateWithin = (
  input: NewRun,
  within: (trx: Kysely<Database>, runId: string) => Promise<void>,
) => Promise<CreateRunResult>;

/** Runs that do not work on an issue's change: "the run of an issue" is never one of them. */
const NOT_THE_WORK: RunKind[] = ["rollback", "recheck"];

export class RollbackRecords {
  constructor(
    private readonly opened: OpenedDatabase,
    private readonly now: () => string,
    private readonly createRun: CreateWithin,
  ) {}

  /**
   * Queues the rollback as a run on the target's issue; `created: false` with the active run
   * when the issue has one (a rollback waits for nothing: the person is told to stop it first).
   */
  async request(
    target: Run,
    request: Omit<RollbackRequest, "targetRunId" | "branch">,
    trigger: { deliveryId: string; login: string; loginId: number | null },
  ): Promise<CreateRunResult> {
    if (target.branch === null) throw new Error(`run ${target.id} has no branch to roll back`);
    const branch = target.branch;
    const input: NewRun = {
      installationId: target.installationId,
      owner: target.owner,
      repo: target.repo,
      issueNumber: target.issueNumber,
      issueTitle: target.issueTitle,
      issueBody: "",
      requestedBy: trigger.login,
      requestedById: trigger.loginId,
      deliveryId: trigger.deliveryId,
      config: target.config,
    };
    return this.createRun(input, async (trx, runId) => {
      await trx
        .insertInto("run_rollbacks")
        .values({
          run_id: runId,
          target_run_id: target.id,
          branch,
          to_sha: request.toSha,
          checkpoint: request.checkpoint,
          asked_on: request.askedOn,
          requested_by: request.requestedBy,
          created_at: this.now(),
        })
        .execute();
    });
  }

  /** The request a rollback run carries out. */
  async get(runId: string): Promise<Rollback | undefined> {
    const row = await this.opened.db
      .selectFrom("run_rollbacks")
      .selectAll()
      .where("run_id", "=", runId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      runId: row.run_id,
      targetRunId: row.target_run_id,
      branch: row.branch,
      toSha: row.to_sha,
      checkpoint: Number(row.checkpoint),
      askedOn: Number(row.asked_on),
      requestedBy: row.requested_by,
      createdAt: row.created_at,
    };
  }

  /**
   * The last run (rollbacks and re-runs of the checks aside) on an issue or pull request: the
   * issue's own, or one whose pull request this is (the run that opened it, or a follow-up on
   * it). `pushed`: the last that pushed to its branch.
   */
  async lastRunOn(
    owner: string,
    repo: string,
    number: number,
    options: { pushed?: boolean } = {},
  ): Promise<Run | undefined> {
    let query = this.opened.db
      .selectFrom("runs")
      .selectAll()
      .where("owner", "=", owner)
      .where("repo", "=", repo)
      .where("kind", "not in", NOT_THE_WORK)
      .where((eb) => eb.or([eb("issue_number", "=", number), eb("pull_number", "=", number)]));
    // Only a run that pushed its branch: the one a rollback goes back on.
    if (options.pushed === true) query = query.where("head_sha", "is not", null);
    const row = await query
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ? toRun(row) : undefined;
  }

  /** The runs (rollbacks, re-runs of the checks aside) that worked on a branch, first to last. */
  async runsOnBranch(owner: string, repo: string, branch: string): Promise<Run[]> {
    const rows = await this.opened.db
      .selectFrom("runs")
      .selectAll()
      .where("owner", "=", owner)
      .where("repo", "=", repo)
      .where("branch", "=", branch)
      .where("kind", "not in", NOT_THE_WORK)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map(toRun);
  }
}
