// A checks report in words, for the model (the run_checks tool, a failed
// verification) and for the CLI: one line per check, then the output of each
// one that failed.
import type { CheckName, CheckResult, ChecksReport } from "./ports.ts";

/** A verification's judgement against the base commit (baseline.ts), when it had one. */
interface Judged {
  preexisting?: CheckName[];
  flaky?: CheckName[];
}

function checksHeadline(report: ChecksReport): string {
  if (!report.configured) {
    return "No checks are configured: the repository config names no build, test or lint command.";
  }
  if (report.aborted) return "The checks were cancelled.";
  const failed = report.checks.filter((c) => !c.passed && c.skipped === null).map((c) => c.name);
  return report.passed
    ? `All checks passed (${report.checks.map((c) => c.name).join(", ")}).`
    : `Checks failed: ${failed.join(", ") || "none ran"}.`;
}

function checkLine(c: CheckResult): string {
  const mark = c.skipped !== null ? "-" : c.passed ? "✓" : "✗";
  const how =
    c.skipped !== null
      ? `skipped: ${c.skipped}`
      : c.passed
        ? "passed"
        : c.timedOut
          ? "timed out"
          : `failed with exit code ${String(c.exitCode)}`;
  // No duration: the text is what the model sees, and a replay compares it.
  return `${mark} ${c.name}: \`${c.command}\` ${how}`;
}

/** What the checks on the base commit said of a check, when a verification was judged by them. */
function baselineMark(report: ChecksReport & Judged, c: CheckResult): string {
  if (report.preexisting?.includes(c.name)) return " (it failed on the base commit too)";
  if (report.flaky?.includes(c.name)) return " (flaky: it failed once, then passed when run again)";
  return "";
}

/** The headline, a line per check, and the output of the failed ones. */
export function checksText(report: ChecksReport & Judged): string {
  const parts = [
    checksHeadline(report),
    ...report.checks.map((c) => `${checkLine(c)}${baselineMark(report, c)}`),
  ];
  for (const c of report.checks) {
    if (c.passed || c.skipped !== null || c.output.length === 0) continue;
    const where = c.fullOutputPath ? ` (the whole output is in ${c.fullOutputPath})` : "";
    parts.push("", `--- output of ${c.name}${where} ---`, c.output.trimEnd());
  }
  return parts.join("\n");
}
