// The harness's verification: the configured checks, run by the harness on
// the worktree as it is, recorded in the audit log, and remembered with a
// hash of the diff it saw, so an unchanged change is not run twice. A failure
// is judged against the checks on the base commit (baseline.ts). A green
// verification is a milestone: the work is committed (and pushed), with the
// message the model's reply gave (commit-message.ts).
import { createHash } from "node:crypto";
import { safetyEvent } from "../audit/safety.ts";
import { auditedChecks, judgeFailures } from "./baseline.ts";
import { commitFromReply, filesOfDiff, renderCommit, wipFromReply } from "./commit-message.ts";

import type {
  AgentSnapshot,
  AuditSink,
  ChecksPort,
  MilestonePort,
  VerificationRecord,
  WorkspacePort,
} from "./ports.ts";
import type { Phase } from "./phase.ts";
import { describeTestWeakening, findTestWeakening, type TestWeakening } from "./test-integrity.ts";

export interface VerifyContext {
  checks: ChecksPort;
  workspace: WorkspacePort;
  milestones: MilestonePort;
  audit: AuditSink;
  signal: AbortSignal;
}

export interface Verified {
  record: VerificationRecord;
  /** The change it verified, against the run's base commit. */
  diff: string;
  testWeakening: TestWeakening[];
}

/** What the commit of a green verification says. */
export interface MilestoneWords {
  /** The model's reply that ended its turn: its `## Commit message`, when it holds the form. */
  reply: string;
  /** Why a limit ends the run here: the commit is the work so far, marked "WIP". */
  wip?: string;
}

export async function verifyWork(
  ctx: VerifyContext,
  state: AgentSnapshot,
  phase: Phase,
  words: MilestoneWords,
): Promise<Verified> {
  const diff = await ctx.workspace.diff(ctx.signal);
  const diffHash = createHash("sha256").update(diff).digest("hex");
  const testWeakening = findTestWeakening(diff);
  const last = state.verification;
  if (last !== null && last.diffHash === diffHash && !last.aborted) {
    await ctx.audit.record("verify.reused", { phase, passed: last.passed, verifiedIn: last.phase });
    return { record: last, diff, testWeakening };
  }
  const first = await ctx.checks.run("harness", ctx.signal);
  // Judged against the checks on the base commit: a failure there too, or a flaky one.
  const { report, preexisting, flaky } = await judgeFailures(ctx, state.baseline, first);
  const record: VerificationRecord = {
    ...report,
    phase,
    diffHash,
    ...(preexisting.length > 0 ? { preexisting } : {}),
    ...(flaky.length > 0 ? { flaky } : {}),
  };
  state.verification = record;
  state.verifications += 1;
  await ctx.audit.record("verify.result", {
    phase,
    configured: report.configured,
    passed: report.passed,
    checks: auditedChecks(report),
    ...(preexisting.length > 0 ? { preexisting } : {}),
    ...(flaky.length > 0 ? { flaky } : {}),
    ...(testWeakening.length > 0 ? { testWeakening } : {}),
  });
  if (testWeakening.length > 0) {
    const flagged = safetyEvent({
      control: "test.integrity",
      outcome: "flagged",
      detail: `The change deletes or weakens tests, so its pull request stays a draft: ${describeTestWeakening(testWeakening).join("; ")}.`,
      testWeakening,
    });
    await ctx.audit.record(flagged.type, flagged.data);
  }
  if (report.passed) {
    const files = filesOfDiff(diff);
    const message = renderCommit(
      words.wip === undefined
        ? commitFromReply(words.reply, files)
        : wipFromReply(words.reply, files, words.wip),
    );
    await ctx.milestones.checkpoint({ message, reason: "verified" }, ctx.signal);
  }
  return { record, diff, testWeakening };
}
