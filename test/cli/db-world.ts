// A store as a deployment leaves it after some weeks, written through the real store API (no
// row inserted by hand): installations and their repositories, deliveries handled, ignored and
// refused for load, runs finished, failed and retried, a review round on a pull request writing
// into its chain, a rollback, a cancelled run, runs paused for a reply and for an approval, one
// left by a worker that died (its lease expired), step checkpoints with binary diffs, the
// repository's memory, and signed audit chains. What `stamina db copy` is tested on, and how a
// test compares two databases table by table, read through Kysely's own introspection rather
// than the copy's.
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { auditSigner, generateAuditKey } from "../../src/audit/signing.ts";
import { createRedactor } from "../../src/observability/redact.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";
import type { Database } from "../../src/store/schema.ts";
import type { Store } from "../../src/store/store.ts";
import { openStore } from "../../src/store/open.ts";
import type { CheckpointInput, NewRun, Run } from "../../src/store/types.ts";
import { examplePayload } from "../support/webhooks.ts";

const LEASE = 60_000;

/** Writes the store at `path` (SQLite); returns the audit key's public half its chains are signed with. */
export async function populateStore(path: string): Promise<{ publicKey: string }> {
  const signer = auditSigner(generateAuditKey(), "STAMINA_AUDIT_KEY");
  // A year before these tests were written: every lease the store keeps has long expired.
  let now = new Date("2025-03-01T10:00:00Z").getTime();
  const store = await openStore({
    sqlitePath: path,
    clock: () => new Date((now += 1_000)),
    redactor: createRedactor(["hunter2-database-secret"]),
    auditSigner: signer,
  });
  try {
    await populate(store);
  } finally {
    await store.close();
  }
  return { publicKey: signer.publicKey };
}

let deliveries = 0;
function newRun(issueNumber: number, requestedBy = "maintainer"): NewRun {
  return {
    installationId: 7,
    owner: "octo",
    repo: "demo",
    issueNumber,
    issueTitle: `Fix thing ${issueNumber}`,
    issueBody: "Steps:\n- one\n- two 💥",
    requestedBy,
    requestedById: 4_000_000_000 + issueNumber,
    deliveryId: `delivery-${issueNumber}-${++deliveries}`,
    config: parseRepoConfig({ budget: { steps: 40 } }),
  };
}

function checkpoint(step: number, diff: Buffer | null): CheckpointInput {
  return {
    step,
    added: [
      { role: "assistant", content: [{ type: "text", text: `step ${step}: reading src/` }] },
      { role: "user", content: `result ${step}` },
    ],
    state: {
      version: 1,
      usage: { inputTokens: step * 100, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 },
      spent: { tokens: step * 110, dollars: 0.01 * step, elapsedMs: 5_000 * step },
      phase: "implement",
      plan: [{ step: "fix it", status: "in_progress" }],
      verification: null,
      verifications: 0,
      hooks: {},
    },
    baseSha: "a".repeat(40),
    diff,
  };
}

async function created(store: Store, input: NewRun): Promise<Run> {
  const result = await store.runs.create(input);
  if (!result.created) throw new Error(`issue ${input.issueNumber} has an active run`);
  return result.run;
}

/** Claims the oldest queued run for `worker`, expecting it to be `run`. */
async function claim(store: Store, run: Run, worker: string): Promise<void> {
  const claimed = await store.leases.claimNext(worker, LEASE);
  if (claimed?.id !== run.id) throw new Error(`expected ${worker} to claim ${run.id}`);
}

async function populate(store: Store): Promise<void> {
  await store.installations.record(7, "octo");
  await store.installations.addRepositories(7, ["octo/demo", "octo/other"]);
  await store.installations.record(8, "acme");
  await store.installations.setSuspended(8, "acme", "admin");
  const labeled = examplePayload("issues", "labeled", {
    installationId: 7,
    at: Date.parse("2025-03-01T10:00:00Z"),
  });
  await store.deliveries.record({
    id: "delivery-labeled",
    event: "issues",
    action: "labeled",
    installationId: 7,
    payload: JSON.stringify(labeled),
    inputKey: "issues.labeled:1",
  });
  await store.deliveries.markHandled("delivery-labeled", "run queued");
  await store.deliveries.recordIgnored(
    {
      id: "delivery-old",
      event: "issue_comment",
      action: "created",
      installationId: 7,
      payload: "{}",
    },
    "ignored: stale",
  );
  await store.deliveries.record({
    id: "delivery-unhandled",
    event: "ping",
    action: null,
    installationId: null,
    payload: "{}",
  });
  await store.deliveries.refusedForLoad("guid-refused");
  await store.deliveries.redeliveryRequested("guid-refused", "4242");
  await store.deliveries.refusedForLoad("guid-waiting");

  const shipped = await shippedRun(store);
  await reviewRound(store, shipped);
  await pausedRuns(store);
  await failedAndRetried(store);
  await store.rollbacks.request(
    await store.runs.mustGet(shipped.id),
    { toSha: "c".repeat(40), checkpoint: 1, askedOn: 101, requestedBy: "@maintainer" },
    { deliveryId: "delivery-rollback", login: "maintainer", loginId: 4_000_000_001 },
  );
  const cancelled = await created(store, newRun(4));
  await store.cancels.request(cancelled.id, "@maintainer", "removed the label");
  await store.pauses.answer(await waiting(store, 6), {
    deliveryId: "delivery-answer",
    by: "maintainer",
    text: "The v2 one.",
  });
  // A worker that died holding a run (the oldest queued, the retry): its lease ran out long ago.
  const orphan = await store.leases.claimNext("worker-died", LEASE);
  if (orphan === undefined) throw new Error("expected a queued run to claim");
  await store.audit.append(
    orphan.id,
    [{ type: "run.claimed", data: { attempt: 1 } }],
    "worker-died",
  );
  await store.checkpoints.save(orphan.id, "worker-died", checkpoint(2, Buffer.alloc(0)));
}

async function waiting(store: Store, issue: number): Promise<string> {
  const run = await store.runs.activeOn("octo", "demo", issue);
  if (run === undefined) throw new Error(`issue ${issue} has no active run`);
  return run.id;
}

/** Issue 1: claimed, checkpointed, asked for an approval, resumed, pushed, a pull request, finished. */
async function shippedRun(store: Store): Promise<Run> {
  const run = await created(store, newRun(1));
  await store.runs.setTrackingComment(run.id, 3_000_000_001);
  await claim(store, run, "worker-1");
  await store.audit.append(run.id, [{ type: "run.claimed", data: { attempt: 1 } }], "worker-1");
  await store.checkpoints.save(
    run.id,
    "worker-1",
    checkpoint(1, Buffer.from([0, 255, 1, 254, 10, 13, 0x80])),
  );
  await store.memory.edit(
    "octo/demo",
    () => ({
      result: undefined,
      change: { put: [{ path: "/memories/build.md", content: "make test\n" }], remove: [] },
    }),
    run.id,
    "worker-1",
  );
  await store.audit.append(
    run.id,
    [
      {
        type: "approval.requested",
        data: {
          source: "approval",
          reason: ".github/workflows/ci.yml",
          fingerprint: "f".repeat(64),
        },
      },
    ],
    "worker-1",
  );
  await store.pauses.pause(run.id, "worker-1", "awaiting_approval");
  await store.approvals.decide(run.id, {
    deliveryId: "delivery-approve",
    by: "maintainer",
    granted: true,
  });
  await claim(store, run, "worker-2");
  await store.checkpoints.save(
    run.id,
    "worker-2",
    checkpoint(2, Buffer.from("diff --git a/x b/x\n")),
  );
  await store.runs.update(run.id, {
    branch: "stamina/1-fix-thing-1",
    baseSha: "a".repeat(40),
    headSha: "b".repeat(40),
    pullNumber: 101,
    pullUrl: "https://github.com/octo/demo/pull/101",
    checkRun: { id: 30_000_000_001, sha: "b".repeat(40) },
    auditCheckRuns: { sha: "b".repeat(40), ids: [30_000_000_002, 30_000_000_003] },
    stepsUsed: 2,
  });
  await store.audit.append(
    run.id,
    [
      {
        type: "git.commit",
        data: { sha: "b".repeat(40), reason: "verified", note: "hunter2-database-secret" },
      },
      { type: "run.finished", data: { state: "succeeded" } },
    ],
    "worker-2",
  );
  return store.runs.finish(run.id, "succeeded", "pull request ready");
}

/** A review on the pull request: a round that appends to the first run's chain. */
async function reviewRound(store: Store, shipped: Run): Promise<void> {
  const round = await store.runs.enqueueFollowUp({ ...newRun(101, "reviewer"), pullNumber: 101 });
  if (round.status !== "started") throw new Error(`the review round ${round.status}`);
  await claim(store, round.run, "worker-1");
  await store.audit.append(
    round.run.id,
    [
      { type: "run.claimed", data: { attempt: 1, chain: shipped.id } },
      { type: "run.finished", data: { state: "succeeded" } },
    ],
    "worker-1",
  );
  await store.runs.finish(round.run.id, "succeeded", "threads answered");
}

/** Issue 2: failed after a checkpoint; `/stamina retry` continues it. */
async function failedAndRetried(store: Store): Promise<void> {
  const run = await created(store, newRun(2));
  await claim(store, run, "worker-1");
  await store.checkpoints.save(run.id, "worker-1", checkpoint(1, Buffer.from("partial work\n")));
  await store.runs.update(run.id, { branch: "stamina/2-fix-thing-2", stepsUsed: 1 });
  await store.audit.append(
    run.id,
    [{ type: "run.finished", data: { state: "failed" } }],
    "worker-1",
  );
  const failed = await store.runs.finish(run.id, "failed", "the build broke");
  const retry = await store.retries.create(failed, newRun(2));
  if (!retry.created) throw new Error("expected the retry to be queued");
}

/** Issues 5 and 6: each waits for a person's answer. */
async function pausedRuns(store: Store): Promise<void> {
  for (const issue of [5, 6]) {
    const run = await created(store, newRun(issue));
    await claim(store, run, "worker-1");
    await store.audit.append(
      run.id,
      [{ type: "human.asked", data: { question: "Which API?" } }],
      "worker-1",
    );
    await store.pauses.pause(run.id, "worker-1", "awaiting_reply");
  }
}

/** Every table of a database (Kysely's introspection), with its rows in one order. */
export async function tableContents(db: Kysely<Database>): Promise<Map<string, string[]>> {
  const contents = new Map<string, string[]>();
  for (const table of await db.introspection.getTables()) {
    const { rows } = await sql<
      Record<string, unknown>
    >`select * from ${sql.id(table.name)}`.execute(db);
    // Each engine returns numbers its own way (PostgreSQL's bigint as text): compared as text.
    const lines = rows.map((row) =>
      JSON.stringify(
        [...table.columns]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((c) => {
            const value = row[c.name];
            if (value === null || value === undefined) return null;
            return typeof value === "number" ? String(value) : value;
          }),
      ),
    );
    contents.set(table.name, lines.sort());
  }
  return contents;
}
