// The checks on the base commit, and what they say about a failed verification.
// Before the agent's first step the harness runs the configured checks on the
// worktree as the base commit left it (`takeBaseline`); the result lives in
// the snapshot, so a resumed run never runs it again. A verification that
// fails is then judged against it (`judgeFailures`): a check that failed on
// the base too is pre-existing; one that passed there is run once more, and
// passing then makes it flaky (a pass, noted) rather than a failure.
import type {
  AgentSnapshot,
  AuditSink,
  BaselineRecord,
  CheckName,
  CheckResult,
  ChecksPort,
  ChecksReport,
} from "./ports.ts";

/** What running the checks needs (verification.ts's context has it). */
interface ChecksContext {
  checks: ChecksPort;
  audit: AuditSink;
  signal: AbortSignal;
}

/** Checks that ran and failed (a check skipped because the build failed is not one). */
export function failingChecks(report: ChecksReport): CheckResult[] {
  return report.checks.filter((c) => !c.passed && c.skipped === null);
}

/** How the check named `name` ended on the base commit: null when it did not run there. */
function atBaseline(baseline: BaselineRecord, name: CheckName): "passed" | "failed" | null {
  const check = baseline.checks.find((c) => c.name === name);
  if (check === undefined || check.skipped !== null) return null;
  return check.passed ? "passed" : "failed";
}

/**
 * Runs the checks on the base commit, before the agent edits, and keeps the result in `state`.
 * Nothing is kept when the run was cancelled meanwhile.
 */
export async function takeBaseline(ctx: ChecksContext, state: AgentSnapshot): Promise<void> {
  const report = await ctx.checks.run("baseline", ctx.signal);
  if (report.aborted) return;
  state.baseline = report;
  await ctx.audit.record("verify.baseline", {
    configured: report.configured,
    passed: report.passed,
    failing: failingChecks(report).map((c) => c.name),
    checks: auditedChecks(report),
  });
}

export interface Judged {
  report: ChecksReport;
  /** Failing checks that failed on the base commit too. */
  preexisting: CheckName[];
  /** Checks that failed, passed on the base commit, and passed when run once more. */
  flaky: CheckName[];
}

/**
 * A verification's report judged against the baseline: each failing check that passed on the
 * base commit is run once more, and one that passes then counts as passed (flaky). Without a
 * baseline, or with nothing failing, the report is as it was.
 */
export async function judgeFailures(
  ctx: ChecksContext,
  baseline: BaselineRecord | null | undefined,
  report: ChecksReport,
): Promise<Judged> {
  const judged: Judged = { report, preexisting: [], flaky: [] };
  if (!baseline || report.aborted || report.passed) return judged;
  const failing = failingChecks(report);
  judged.preexisting = failing
    .filter((c) => atBaseline(baseline, c.name) === "failed")
    .map((c) => c.name);
  const again = failing.filter((c) => atBaseline(baseline, c.name) === "passed").map((c) => c.name);
  if (again.length === 0) return judged;
  const rerun = await ctx.checks.run("harness", ctx.signal, again);
  if (rerun.aborted) return { ...judged, report: { ...report, aborted: true } };
  const passedNow = new Map(rerun.checks.filter((c) => c.passed).map((c) => [c.name, c]));
  judged.flaky = again.filter((name) => passedNow.has(name));
  if (judged.flaky.length === 0) return judged;
  await ctx.audit.record("verify.flaky", {
    flaky: judged.flaky,
    reason: "failed, though it passed on the base commit, then passed when run once more",
  });
  const checks = report.checks.map((c) => passedNow.get(c.name) ?? c);
  judged.report = {
    ...report,
    checks,
    passed: report.configured && checks.every((c) => c.passed),
  };
  return judged;
}

/** How much of the model's "cannot fix:" reason the run keeps. */
const MAX_REASON_CHARS = 2_000;

/**
 * The reason of a turn whose text starts with "cannot fix:" (any case; Markdown emphasis,
 * heading or quote marks before it are ignored), or null when it does not.
 */
export function cannotFixReason(text: string): string | null {
  const match = /^[\s*_>#`]*cannot fix[*_`]*\s*:[*_`]*\s*([\s\S]*)$/i.exec(text);
  if (!match) return null;
  const reason = (match[1] ?? "").trim();
  if (reason === "") return "the model gave no reason.";
  return reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS)}…` : reason;
}

/** The failing checks of a report as one comparable key: each name with how it failed. */
export function failureKey(report: ChecksReport): string {
  return failingChecks(report)
    .map((c) => `${c.name}:${c.timedOut ? "timeout" : String(c.exitCode)}`)
    .sort()
    .join(",");
}

/**
 * What the baseline says about a failed verification, for the model: which failing checks
 * failed on the base commit too, which the change broke, which were flaky. "" without one.
 */
export function baselineNote(
  baseline: BaselineRecord | null | undefined,
  record: { checks: CheckResult[]; preexisting?: CheckName[]; flaky?: CheckName[] },
): string {
  if (!baseline) return "";
  const failing = failingChecks({ configured: true, passed: false, aborted: false, ...record });
  const preexisting = record.preexisting ?? [];
  const broke = failing.filter((c) => atBaseline(baseline, c.name) === "passed").map((c) => c.name);
  const lines: string[] = [];
  if (preexisting.length > 0) {
    lines.push(
      `Before you changed anything, the harness ran the same checks on the base commit: ${names(preexisting)} failed there too, so ${preexisting.length === 1 ? "that failure" : "those failures"} may not be your change's. Compare the output with what your task touches.`,
    );
  }
  if (broke.length > 0) {
    lines.push(
      `${names(broke)} passed on the base commit and failed twice on your change: your change broke ${broke.length === 1 ? "it" : "them"}.`,
    );
  }
  if ((record.flaky ?? []).length > 0) {
    lines.push(
      `${names(record.flaky ?? [])} failed once and passed when the harness ran ${(record.flaky ?? []).length === 1 ? "it" : "them"} again: flaky, counted as passing.`,
    );
  }
  if (preexisting.length > 0 && broke.length === 0) {
    lines.push(
      "If every check that still fails failed on the base commit too and fixing it is not part of your task, end your turn with a message that starts with `cannot fix:` followed by the reason. The harness then stops, and the pull request stays a draft that says why.",
    );
  }
  return lines.length > 0 ? `\n${lines.join("\n\n")}\n` : "";
}

function names(list: readonly string[]): string {
  const shown = list.map((n) => `\`${n}\``);
  return shown.length <= 1
    ? (shown[0] ?? "")
    : `${shown.slice(0, -1).join(", ")} and ${shown.at(-1)}`;
}

/** Each check of a report as a `verify.result` or `verify.baseline` event records it. */
export function auditedChecks(report: ChecksReport) {
  return report.checks.map((c) => ({
    name: c.name,
    command: c.command,
    passed: c.passed,
    exitCode: c.exitCode,
    timedOut: c.timedOut,
    ...(c.skipped !== null ? { skipped: c.skipped } : {}),
  }));
}
