// What the harness does when the model ends its turn: verify, and decide the
// next phase. The model's "done" only asks for a verification; the checks'
// exit codes answer it. Failing checks go back to the model with their output;
// passing ones lead to a self-review of the whole diff, then a final check.
import { checksText } from "./checks-text.ts";
import type { Phase } from "./phase.ts";
import { baselineNote, cannotFixReason, failingChecks, failureKey } from "./baseline.ts";
import {
  cleanCommitWords,
  commitProblems,
  mayAskAgain,
  readFinalReply,
  SUBJECT_MAX,
} from "./commit-message.ts";
import type { AgentSnapshot, ChecksReport } from "./ports.ts";
import { renderPrompt, untrusted } from "./prompts.ts";
import { describeTestWeakening, type TestWeakening } from "./test-integrity.ts";
import { verifyWork, type Verified, type VerifyContext } from "./verification.ts";

/** The diff shown for review is cut to this size; the model can read the rest with git. */
const REVIEW_DIFF_CHARS = 60_000;

export type NextMove =
  | { kind: "continue"; prompt: string }
  | { kind: "done"; verified: Verified }
  /** The run ends without finishing: checks it cannot fix, or no change needed (`reason`). */
  | { kind: "end"; stop: "cannot_fix" | "no_change"; reason: string; verified: Verified }
  | { kind: "aborted" };

/** How the turn that ended was written: its text, and whether changing nothing is asked about. */
export interface EndedTurn {
  text: string;
  /** An empty diff after a text-only turn gets one question before it counts as done. */
  confirmNoChange: boolean;
}

export async function afterTurnEnded(
  ctx: VerifyContext,
  state: AgentSnapshot,
  setPhase: (phase: Phase) => Promise<void>,
  turn: EndedTurn = { text: "", confirmNoChange: false },
): Promise<NextMove> {
  const ask = await commitMessageAsk(ctx, state, turn.text);
  if (ask !== null) return { kind: "continue", prompt: ask };
  const reviewed = state.phase === "review" || state.phase === "final_verify";
  const verified = await verifyWork(ctx, state, reviewed ? "final_verify" : "verify", {
    reply: turn.text,
  });
  const { record } = verified;
  if (record.aborted) return { kind: "aborted" };
  if (record.configured && !record.passed) {
    await setPhase(reviewed ? "final_verify" : "verify");
    return failedTurn(ctx, state, verified, turn.text);
  }
  state.failedEnds = null;
  if (verified.diff.trim() === "" && turn.confirmNoChange) {
    if (state.askedNoChange !== true) {
      // A plan or a question is not a finish: the model is asked once to say why nothing changed.
      state.askedNoChange = true;
      await ctx.audit.record("agent.no_change_asked", { phase: state.phase });
      return { kind: "continue", prompt: renderPrompt("no-change", {}).text };
    }
    await setPhase("done");
    return { kind: "end", stop: "no_change", reason: turn.text.trim(), verified };
  }
  if (reviewed || verified.diff.trim() === "") {
    // Reviewed and verified (or nothing to verify); or nothing changed, so nothing to review.
    await setPhase("done");
    return { kind: "done", verified };
  }
  await setPhase("review");
  return {
    kind: "continue",
    prompt: reviewPrompt(record, verified.diff, verified.testWeakening, ctx.workspace.base),
  };
}

/**
 * The prompt that asks the model, once a run, to write again a `## Commit message` that does not
 * hold git's form; null when it holds, when there is nothing to commit, or when it was asked
 * already (the harness then mends what it can, or names the files: commit-message.ts).
 */
async function commitMessageAsk(
  ctx: VerifyContext,
  state: AgentSnapshot,
  text: string,
): Promise<string | null> {
  if (cannotFixReason(text) !== null) return null;
  const written = readFinalReply(text).commit;
  if (written === null) return null;
  const problems = commitProblems(cleanCommitWords(written));
  if (problems.length === 0) return null;
  if ((await ctx.workspace.diff(ctx.signal)).trim() === "") return null;
  if (!mayAskAgain(state.hooks)) return null;
  await ctx.audit.record("agent.commit_message_asked", { phase: state.phase, problems });
  return renderPrompt("commit-message", {
    problems: problems.join("; "),
    subject_max: String(SUBJECT_MAX),
  }).text;
}

/** Turn ends in a row on an unchanged diff with failing checks, after which the run stops. */
const UNCHANGED_ENDS = 3;

/**
 * A turn ended and the checks fail. The run stops with `cannot_fix` when every failing check
 * failed on the base commit too and the model says "cannot fix: <reason>", or two turn ends in a
 * row got the same failures; and when the model ended its turn UNCHANGED_ENDS times in a row
 * without changing anything. Otherwise the failures go back to the model.
 */
async function failedTurn(
  ctx: VerifyContext,
  state: AgentSnapshot,
  verified: Verified,
  text: string,
): Promise<NextMove> {
  const { record } = verified;
  const failing = failingChecks(record).map((c) => c.name);
  const preexisting = record.preexisting ?? [];
  const onlyPreexisting = failing.length > 0 && failing.every((n) => preexisting.includes(n));
  const key = failureKey(record);
  const last = state.failedEnds ?? null;
  const count = last?.key === key ? last.count + 1 : 1;
  const unchanged = last?.diffHash === record.diffHash ? last.unchanged + 1 : 1;
  state.failedEnds = { key, count, diffHash: record.diffHash, unchanged };
  const asked = cannotFixReason(text);
  const names = failing.join(", ") || "the build";
  let reason: string | null = null;
  if (onlyPreexisting && asked !== null) reason = asked;
  else if (onlyPreexisting && count >= 2) {
    reason = `the checks that fail (${names}) failed on the base commit too, before any change, and ${count} verifications in a row gave the same result.`;
  } else if (unchanged >= UNCHANGED_ENDS) {
    reason = `the checks still fail (${names}), and the model ended its turn ${unchanged} times in a row without changing anything.`;
  }
  if (reason !== null) {
    await ctx.audit.record("agent.cannot_fix", {
      by: asked !== null && onlyPreexisting ? "model" : "harness",
      reason,
      failing,
      preexisting,
    });
    return { kind: "end", stop: "cannot_fix", reason, verified };
  }
  const notes: string[] = [baselineNote(state.baseline, record)];
  if (asked !== null) {
    notes.push(
      `\nThe harness does not accept "cannot fix" here: ${failing.filter((n) => !preexisting.includes(n)).join(", ")} did not fail on the base commit${state.baseline ? "" : " (no checks were run on the base commit)"}, so the failure may be your change's.\n`,
    );
  }
  if (unchanged > 1) {
    notes.push(
      `\nNothing changed since the last verification, so this is the same result. Ending your turn again without a change stops the run with the checks failing.\n`,
    );
  }
  return {
    kind: "continue",
    prompt: renderPrompt("verify-failed", { results: checksText(record), notes: notes.join("") })
      .text,
  };
}

function reviewPrompt(
  report: ChecksReport,
  diff: string,
  weakening: TestWeakening[],
  base: string,
): string {
  const short = base.slice(0, 12);
  const shown =
    diff.length <= REVIEW_DIFF_CHARS
      ? diff
      : `${diff.slice(0, REVIEW_DIFF_CHARS / 2)}\n… [${diff.length - REVIEW_DIFF_CHARS} characters of the diff cut; see the whole change with \`git diff ${short}\` and \`git status\` in bash] …\n${diff.slice(-REVIEW_DIFF_CHARS / 2)}`;
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
    base: short,
    diff: untrusted(shown.trimEnd()),
    test_warnings: warnings,
  }).text;
}
