// What the harness does when the model ends its turn: verify, and decide the
// next phase. The model's "done" only asks for a verification; the checks'
// exit codes answer it. Failing checks go back to the model with their output;
// passing ones lead to a self-review of the whole diff, then a final check.
import { checksText } from "./checks-text.ts";
import type { Phase } from "./phase.ts";
import type { AgentSnapshot, ChecksReport } from "./ports.ts";
import { renderPrompt } from "./prompts.ts";
import { describeTestWeakening, type TestWeakening } from "./test-integrity.ts";
import { verifyWork, type Verified, type VerifyContext } from "./verification.ts";

/** The diff shown for review is cut to this size; the model can read the rest with git. */
const REVIEW_DIFF_CHARS = 60_000;

export type NextMove =
  { kind: "continue"; prompt: string } | { kind: "done"; verified: Verified } | { kind: "aborted" };

export async function afterTurnEnded(
  ctx: VerifyContext,
  state: AgentSnapshot,
  setPhase: (phase: Phase) => Promise<void>,
): Promise<NextMove> {
  const reviewed = state.phase === "review" || state.phase === "final_verify";
  const verified = await verifyWork(ctx, state, reviewed ? "final_verify" : "verify");
  const { record } = verified;
  if (record.aborted) return { kind: "aborted" };
  if (record.configured && !record.passed) {
    await setPhase(reviewed ? "final_verify" : "verify");
    return { kind: "continue", prompt: failedPrompt(record) };
  }
  if (reviewed || verified.diff.trim() === "") {
    // Reviewed and verified (or nothing to verify); or nothing changed, so nothing to review.
    await setPhase("done");
    return { kind: "done", verified };
  }
  await setPhase("review");
  return {
    kind: "continue",
    prompt: reviewPrompt(record, verified.diff, verified.testWeakening),
  };
}

function failedPrompt(report: ChecksReport): string {
  return renderPrompt("verify-failed", { results: checksText(report) }).text;
}

function reviewPrompt(report: ChecksReport, diff: string, weakening: TestWeakening[]): string {
  const shown =
    diff.length <= REVIEW_DIFF_CHARS
      ? diff
      : `${diff.slice(0, REVIEW_DIFF_CHARS / 2)}\n… [${diff.length - REVIEW_DIFF_CHARS} characters of the diff cut; see the whole change with \`git diff\` and \`git status\` in bash] …\n${diff.slice(-REVIEW_DIFF_CHARS / 2)}`;
  const warnings =
    weakening.length === 0
      ? ""
      : [
          "",
          "The harness flagged changes that weaken the tests. Restore them unless the task truly requires the change, and then say why in your summary:",
          ...describeTestWeakening(weakening).map((line) => `- ${line}`),
          "",
        ].join("\n");
  return renderPrompt("review", {
    verification: report.configured
      ? "The harness ran the checks on your work, and they pass."
      : "No build, test or lint command is configured, so the harness could not check your work.",
    diff: shown.trimEnd(),
    test_warnings: warnings,
  }).text;
}
