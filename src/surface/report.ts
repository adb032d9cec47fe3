// What a run says on its issue: the tracking comment at each stage (the pull
// request's body is in pull-body.ts). Plain words for the people reading;
// never a stack trace.
import { describePhase, type Phase } from "../agent/phase.ts";
import type { ChecksReport, PlanItem } from "../agent/ports.ts";
import type { Run } from "../store/types.ts";
import { noticeLines } from "./pull-body.ts";
import { runPageLines } from "./run-link.ts";

export type Stage =
  | { kind: "queued" }
  | {
      kind: "working";
      plan?: PlanItem[];
      phase?: Phase;
      /** Steps so far, when the agent is running (the run's stored count otherwise). */
      steps?: number;
      /** What the run spent against its budget, in words. */
      spend?: string;
      /** The harness's last verification, when there was one. */
      verification?: ChecksReport | null;
      /** The draft pull request, once the first push opened it. */
      pullUrl?: string | null;
    }
  | {
      kind: "opened";
      pullUrl: string;
      verified: boolean;
      /** Why it is a draft, in words, when it is one. */
      draftBecause?: string;
    }
  /** The agent changed nothing and, asked once, said why (`reason`, its words): no pull request. */
  | { kind: "no_change"; reason: string }
  /** A dry run ended: its plan and diff are in a comment of their own, nothing was pushed. */
  | { kind: "planned" }
  | { kind: "failed"; reason: string }
  /** Paused for a person (the watchdog, a question): the comment after this one says how to answer. */
  | { kind: "waiting"; reason: string }
  | { kind: "retrying"; cause: string; retry: number; limit: number; at: Date }
  /** Handed back to the queue (the worker shut down): any worker resumes it from its checkpoint. */
  | { kind: "requeued" }
  /** Kept for the operators' settings (a key the model refused): tried again from `at`. */
  | { kind: "held"; problem: string; at: Date }
  | {
      kind: "stopped";
      /** Who stopped it ("@octocat"), and how ("removed the `stamina` label"). */
      by: string;
      reason: string;
      /** The commit with the work so far, when there was work to push. */
      pushed: { branch: string; sha: string } | null;
    };

/** The first line of every tracking comment. */
export const TRACKING_MARKER = "<!-- stamina:tracking -->";

/** Text that only this run's tracking comment contains, to find it again. */
export function trackingNeedle(runId: string): string {
  return `<sub>Run \`${runId}\`</sub>`;
}

/**
 * `cost`: the lines that say what the pull request's work cost so far (cost.ts); `runPage`: the
 * run page's address (run-link.ts), linked when STAMINA_PUBLIC_URL is set.
 */
export function trackingComment(
  run: Run,
  stage: Stage,
  notices: readonly string[] = [],
  cost: readonly string[] = [],
  runPage: string | null = null,
): string {
  const steps = `${run.stepsUsed} of ${run.config.budget.steps} steps`;
  const lines = [TRACKING_MARKER];
  switch (stage.kind) {
    case "queued":
      lines.push(
        run.dryRun
          ? `👀 Stamina will plan this issue, as @${run.requestedBy} asked: a dry run, so nothing will be pushed.`
          : `👀 Stamina will work on this issue, as @${run.requestedBy} asked.`,
        "",
        "- [ ] Prepare a workspace",
        "- [ ] Make the change",
        `- [ ] Verify${checksNamed(run)}`,
        "- [ ] Open a pull request",
      );
      break;
    case "working":
      lines.push(...workingLines(run, stage));
      break;
    case "opened":
      lines.push(
        stage.verified
          ? `✅ Stamina opened ${stage.pullUrl} — verification passed.`
          : `⚠️ Stamina opened ${stage.pullUrl} as a draft — ${stage.draftBecause ?? "verification did not pass"}; the pull request says more.`,
        "",
        "- [x] Prepare a workspace",
        `- [x] Make the change (${steps})`,
        `- [${stage.verified ? "x" : " "}] Verify`,
        "- [x] Open a pull request",
      );
      break;
    case "no_change":
      lines.push(
        `✅ No change needed: Stamina looked into this (${steps}) and changed nothing. Its reason:`,
        "",
        ...quoted(stage.reason),
        "",
        "- [x] Prepare a workspace",
        "- [x] Look into the issue: no change needed",
        "- [ ] Open a pull request (nothing to change)",
      );
      break;
    case "planned":
      lines.push(
        `🧪 Dry run finished (${steps}): Stamina's plan and the diff are in the comment below. Nothing was pushed: no branch, no pull request.`,
      );
      break;
    case "failed":
      lines.push(
        run.pullUrl
          ? `❌ Stamina stopped: ${stage.reason} The work so far is in the draft ${run.pullUrl}.`
          : `❌ Stamina stopped without a pull request: ${stage.reason}`,
      );
      break;
    case "waiting":
      lines.push(
        `⏸️ Stamina is waiting for an answer on branch \`${run.branch ?? "…"}\` (${steps} used): ${stage.reason}`,
        "",
        "The comment that asks is below; the run goes on from where it stopped once it is answered.",
      );
      break;
    case "retrying":
      lines.push(
        `⏳ Stamina paused: ${stage.cause}. It will try again at ${stage.at.toISOString().slice(11, 16)} UTC (retry ${stage.retry} of ${stage.limit}), from where it stopped.`,
      );
      break;
    case "requeued":
      lines.push(...requeuedLines(run));
      break;
    case "held":
      lines.push(
        `⏳ Stamina is waiting for its operators: ${stage.problem}.`,
        "",
        `Nothing is lost: the run stays in the queue, is tried again from ${stage.at.toISOString().slice(11, 16)} UTC, and goes on from where it stopped once the setting is fixed.`,
      );
      break;
    case "stopped":
      lines.push(
        `🛑 Stamina stopped: ${stage.by} ${stage.reason}.`,
        "",
        run.dryRun
          ? "It was a dry run, so nothing was pushed."
          : stage.pushed
            ? `The work so far is on branch \`${stage.pushed.branch}\` (commit ${stage.pushed.sha.slice(0, 7)}).`
            : "It had not changed any file yet, so there is nothing to push.",
      );
      break;
  }
  if (cost.length > 0) lines.push("", ...cost);
  lines.push(...noticeLines(notices));
  lines.push(...runPageLines(runPage));
  lines.push("", trackingNeedle(run.id));
  return lines.join("\n");
}

/** The live checklist: plan items, phase, steps and spend, the last verification, the draft. */
function workingLines(run: Run, stage: Extract<Stage, { kind: "working" }>): string[] {
  const steps = `${stage.steps ?? run.stepsUsed} of ${run.config.budget.steps} steps`;
  return [
    `🛠️ Stamina is working on this issue on branch \`${run.branch ?? "…"}\`${stage.phase ? `: ${describePhase(stage.phase)}` : ""}.${run.dryRun ? " A dry run: nothing will be pushed." : ""}`,
    "",
    "- [x] Prepare a workspace",
    `- [ ] Make the change (${steps})`,
    ...(stage.plan ?? []).map((p) => `  - [${p.status === "done" ? "x" : " "}] ${planText(p)}`),
    `- [ ] Verify${lastVerification(stage.verification ?? null)}`,
    stage.pullUrl
      ? `- [x] Open a draft pull request: ${stage.pullUrl}`
      : "- [ ] Open a pull request",
    ...(stage.spend ? ["", `**Spent so far:** ${stage.spend}.`] : []),
  ];
}

/** A run its worker handed back: it is not working now, and it goes on by itself. */
function requeuedLines(run: Run): string[] {
  const on = run.branch ? ` on branch \`${run.branch}\`` : "";
  return [
    run.stepsUsed > 0
      ? `⏳ Stamina was stopped for a restart after ${run.stepsUsed} of ${run.config.budget.steps} steps; the run is queued and resumes from its last checkpoint${on}.`
      : "⏳ Stamina was stopped for a restart before its first step was done; the run is queued and starts again when a worker is free.",
    ...(run.pullUrl ? ["", `The work so far is in the draft ${run.pullUrl}.`] : []),
  ];
}

function lastVerification(v: ChecksReport | null): string {
  if (v === null) return "";
  if (!v.configured) return " (no checks are configured)";
  if (v.passed)
    return ` (last run: ✅ ${v.checks.map((c) => `\`${c.command}\``).join(", ")} passed)`;
  const failed = v.checks.find((c) => !c.passed && c.skipped === null);
  if (!failed) return " (last run: ❌ did not pass)";
  const how = failed.timedOut
    ? "did not finish in time"
    : `exited with code ${String(failed.exitCode)}`;
  return ` (last run: ❌ \`${failed.command}\` ${how})`;
}

function checksNamed(run: Run): string {
  const commands = [run.config.build, run.config.test, run.config.lint].filter(
    (c): c is string => c !== null,
  );
  return commands.length > 0 ? ` (${commands.map((c) => `\`${c}\``).join(", ")})` : "";
}

/** The model's words as a quote: each line capped and quoted, so none of it leaves the quote. */
function quoted(text: string): string[] {
  const lines = text.trim().split(/\r?\n/).slice(0, QUOTED_LINES);
  if (lines.length === 0 || lines.every((l) => l.trim() === "")) return ["> _(no reason given)_"];
  return lines.map((line) => `> ${line.slice(0, 500)}`.trimEnd());
}

const QUOTED_LINES = 40;

/** A plan step on one line, so a step's text cannot add items of its own. */
function planText(item: PlanItem): string {
  const text = item.step.replace(/\s+/g, " ").trim().slice(0, 200);
  return item.status === "in_progress" ? `${text} _(in progress)_` : text;
}
