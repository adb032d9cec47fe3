// How a local run ends on the terminal: why it stopped, what the harness's
// checks said, tests the change weakens, the budget spent, the commits on the
// branch, the summary, and where the audit log is. Returns the exit code.
import { describeSpend, type Budget } from "../agent/budget.ts";
import { checksText } from "../agent/checks-text.ts";
import type { AgentResult } from "../agent/loop.ts";
import type { HumanPort } from "../agent/ports.ts";
import { describeTestWeakening } from "../agent/test-integrity.ts";
import { runGit } from "../workspace/git.ts";
import type { Out } from "./console.ts";

export interface Outcome {
  result: AgentResult;
  budget: Budget;
  worktree: string;
  branch: string;
  baseSha: string;
  auditPath: string;
  auditHead: string | undefined;
  auditCount: number;
}

/**
 * Nobody answers a pause on the terminal: the outcome says why the session paused (once), and
 * `stamina run` exits with PAUSED_EXIT_CODE.
 */
export const terminalPause: HumanPort = { pause: () => Promise.resolve() };

/** A session the watchdog paused: it needs a person before it is worth going on. */
export const PAUSED_EXIT_CODE = 3;

/**
 * 0 when the work finished and the harness found nothing wrong with it, or no change was needed;
 * 3 when paused; 1 otherwise.
 */
export async function printOutcome(out: Out, o: Outcome): Promise<number> {
  const { result } = o;
  const { stdout: log } = await runGit(["log", "--oneline", `${o.baseSha}..HEAD`], {
    cwd: o.worktree,
  });
  const commits = log.trim() === "" ? [] : log.trim().split("\n");
  const lines =
    result.stop === "paused"
      ? ["", `Paused, waiting for a person: ${result.message}`, pausedAdvice(result, commits), ""]
      : result.stop === "no_change"
        ? [
            "",
            "Outcome: no change needed. The model changed nothing and says why in its summary.",
            "",
          ]
        : ["", `Stopped: ${result.message}`, ""];
  lines.push(result.verification ? checksText(result.verification) : "Nothing was verified.");
  const weakened = describeTestWeakening(result.testWeakening);
  if (weakened.length > 0) {
    lines.push(
      "",
      "Warning: this change deletes or weakens tests:",
      ...weakened.map((w) => `  - ${w}`),
    );
  }
  lines.push("", `Budget: ${describeSpend(o.budget, result.steps, result.spent)}.`);
  lines.push(
    "",
    commits.length === 0
      ? `Branch ${o.branch}: no commits (nothing changed).`
      : `Branch ${o.branch}: ${commits.length} commit${commits.length === 1 ? "" : "s"} on ${o.baseSha.slice(0, 12)}:`,
    ...commits.map((c) => `  ${c}`),
  );
  if (result.summary !== "")
    lines.push("", "Summary:", ...result.summary.split("\n").map((l) => `  ${l}`));
  lines.push(
    "",
    `Audit log: ${o.auditPath} (${o.auditCount} events, head ${o.auditHead ?? "none"}).`,
    `Check it with: stamina audit verify ${o.auditPath}`,
    "",
  );
  out.write(lines.join("\n"));
  if (result.stop === "paused") return PAUSED_EXIT_CODE;
  if (result.stop === "no_change") return 0;
  const clean =
    result.stop === "completed" &&
    (result.verification?.passed === true || result.verification?.configured === false) &&
    weakened.length === 0;
  return clean ? 0 : 1;
}

/** What a person does about a pause, and where the work so far is: on the branch only if committed. */
function pausedAdvice(result: AgentResult, commits: readonly string[]): string {
  const where =
    commits.length > 0
      ? "The work so far is committed on the branch below. Read what it did, then run again"
      : "Nothing was committed: the session had not changed any file. Run again";
  const watchdog =
    result.pause?.source === "watchdog"
      ? "; raise the thresholds under `watchdog` in .github/stamina.yml if this was no loop"
      : "";
  return `${where} with a task that says how to go on (or narrows it)${watchdog}.`;
}
