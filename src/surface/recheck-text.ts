// What the "Stamina" check says when a person re-runs it ("Re-run" on the
// check, `check_run.rerequested`): Stamina runs the repository's checks again
// on the pull request's head, as the harness runs them at the end of a run,
// and the check on that commit says how they went.
import type { ChecksReport } from "../agent/ports.ts";
import type { CheckConclusion } from "../github/types.ts";
import type { CheckContent } from "./stamina-check.ts";
import { verificationText } from "./pull-body.ts";

/** Who asked, and which commit: "@octocat asked … on `abc1234`". */
interface Asked {
  by: string;
  sha: string;
  /** Said on every text of the run (a run without a sandbox). */
  notices: readonly string[];
}

const short = (sha: string) => sha.slice(0, 7);

function opening(asked: Asked): string {
  return `@${asked.by} re-ran the Stamina check: Stamina runs the repository's setup and checks again on \`${short(asked.sha)}\`, the pull request's head.`;
}

function withNotices(lines: string[], notices: readonly string[]): string {
  return [...lines, ...notices.flatMap((n) => ["", `⚠️ ${n}`])].join("\n");
}

/** The check while the checks run. */
export function recheckStarted(asked: Asked): CheckContent {
  return {
    title: `Running the checks again on ${short(asked.sha)}`,
    summary: withNotices([opening(asked)], asked.notices),
  };
}

/** The check once the checks ran: its conclusion, title and summary. */
export function recheckDone(
  asked: Asked,
  report: ChecksReport,
): { conclusion: CheckConclusion; content: CheckContent } {
  const on = `\`${short(asked.sha)}\`, the pull request's head`;
  const [conclusion, title]: [CheckConclusion, string] = !report.configured
    ? ["neutral", "No checks are configured"]
    : report.passed
      ? ["success", `Checks passed on ${short(asked.sha)}`]
      : ["failure", `Checks failed on ${short(asked.sha)}`];
  const summary = withNotices(
    [`@${asked.by} re-ran the Stamina check.`, "", verificationText(report, on)],
    asked.notices,
  );
  return { conclusion, content: { title, summary } };
}

/** The check when the checks could not run (a setup command failed, the pull request closed). */
export function recheckFailed(asked: Asked, reason: string): CheckContent {
  return {
    title: "Could not run the checks",
    summary: withNotices([opening(asked), "", `❌ ${reason}`], asked.notices),
  };
}

/** The check of a re-run someone stopped. */
export function recheckStopped(asked: Asked, stop: { by: string; reason: string }): CheckContent {
  return {
    title: `Stopped by ${stop.by}`,
    summary: withNotices([opening(asked), "", `🛑 ${stop.by} ${stop.reason}.`], asked.notices),
  };
}

/** The check of a re-run handed back to the queue (its worker shut down): any worker runs it. */
export function recheckRequeued(asked: Asked): CheckContent {
  return {
    title: "Queued to run again after a restart",
    summary: withNotices(
      [
        opening(asked),
        "",
        "⏳ Stamina was stopped for a restart; the checks run again from the start when a worker is free.",
      ],
      asked.notices,
    ),
  };
}
