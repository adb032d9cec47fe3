// What a run says on GitHub: the tracking comment at each stage and the pull
// request body. Plain words for the people reading; never a stack trace.
import { describePhase, type Phase } from "../agent/phase.ts";
import type { ChecksReport, PlanItem } from "../agent/ports.ts";
import { describeTestWeakening, type TestWeakening } from "../agent/test-integrity.ts";
import { renderDigest, renderTimeline } from "../audit/render.ts";
import type { AuditEvent } from "../audit/types.ts";
import type { Run } from "./types.ts";

/** GitHub's body limit is 65,536 characters; the timeline gets what the rest leaves. */
const PR_BODY_LIMIT = 60_000;
/** How much of a failing check's output the pull request shows. */
const OUTPUT_TAIL = 3_000;

export type Stage =
  | { kind: "queued" }
  | { kind: "working"; plan?: PlanItem[]; phase?: Phase }
  | {
      kind: "opened";
      pullUrl: string;
      verified: boolean;
      /** Why it is a draft, in words, when it is one. */
      draftBecause?: string;
    }
  | { kind: "failed"; reason: string }
  | { kind: "retrying"; cause: string; retry: number; limit: number; at: Date }
  | {
      kind: "stopped";
      /** Who stopped it ("@octocat"), and how ("removed the `stamina` label"). */
      by: string;
      reason: string;
      /** The commit with the work so far, when there was work to push. */
      pushed: { branch: string; sha: string } | null;
    };

const MARKER = "<!-- stamina:tracking -->";

/** Text that only this run's tracking comment contains, to find it again. */
export function trackingNeedle(runId: string): string {
  return `<sub>Run \`${runId}\`</sub>`;
}

export function trackingComment(run: Run, stage: Stage): string {
  const steps = `${run.stepsUsed} of ${run.config.budget.steps} steps`;
  const lines = [MARKER];
  switch (stage.kind) {
    case "queued":
      lines.push(
        `👀 Stamina will work on this issue, as @${run.requestedBy} asked.`,
        "",
        "- [ ] Prepare a workspace",
        "- [ ] Make the change",
        `- [ ] Verify${checksNamed(run)}`,
        "- [ ] Open a pull request",
      );
      break;
    case "working":
      lines.push(
        `🛠️ Stamina is working on this issue on branch \`${run.branch ?? "…"}\`${stage.phase ? `: ${describePhase(stage.phase)}` : ""}.`,
        "",
        "- [x] Prepare a workspace",
        `- [ ] Make the change (${steps})`,
        ...(stage.plan ?? []).map((p) => `  - [${p.status === "done" ? "x" : " "}] ${planText(p)}`),
        "- [ ] Verify",
        "- [ ] Open a pull request",
      );
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
    case "failed":
      lines.push(`❌ Stamina stopped without a pull request: ${stage.reason}`);
      break;
    case "retrying":
      lines.push(
        `⏳ Stamina paused: ${stage.cause}. It will try again at ${stage.at.toISOString().slice(11, 16)} UTC (retry ${stage.retry} of ${stage.limit}), from where it stopped.`,
      );
      break;
    case "stopped":
      lines.push(
        `🛑 Stamina stopped: ${stage.by} ${stage.reason}.`,
        "",
        stage.pushed
          ? `The work so far is on branch \`${stage.pushed.branch}\` (commit ${stage.pushed.sha.slice(0, 7)}).`
          : "It had not changed any file yet, so there is nothing to push.",
      );
      break;
  }
  lines.push("", trackingNeedle(run.id));
  return lines.join("\n");
}

export function pullRequestBody(input: {
  run: Run;
  summary: string;
  verification: ChecksReport | null;
  /** Why the run stopped before it finished (a budget), when it did. */
  stopNote: string | null;
  testWeakening: TestWeakening[];
  /** What the run spent against its budget, in words. */
  spend: string;
  events: AuditEvent[];
}): string {
  const { run, verification } = input;
  const weakened = describeTestWeakening(input.testWeakening);
  const head = [
    `Fixes #${run.issueNumber}`,
    "",
    "## Summary",
    "",
    input.summary.trim() || "_The agent left no summary._",
    "",
    "## Verification",
    "",
    verificationText(verification),
    ...(weakened.length > 0
      ? [
          "",
          "⚠️ **This change deletes or weakens tests**; check that it should:",
          "",
          ...weakened.map((line) => `- ${line}`),
        ]
      : []),
    ...(input.stopNote ? ["", `> ${input.stopNote}`] : []),
    "",
    `**Budget:** ${input.spend}.`,
    "",
    "## Audit",
    "",
    renderDigest(input.events),
    "",
    "<details><summary>Timeline</summary>",
    "",
  ].join("\n");
  const tail = "\n\n</details>\n";
  const room = PR_BODY_LIMIT - head.length - tail.length;
  return head + renderTimeline(input.events, Math.max(room, 1_000)) + tail;
}

/** Each check the harness ran, as it ran; failures with the end of their output. */
function verificationText(v: ChecksReport | null): string {
  if (v === null) return "Stamina could not verify the change.";
  if (!v.configured) {
    return "No build, test or lint command is configured in `.github/stamina.yml`, so nothing was verified.";
  }
  const lines = [
    v.passed
      ? "Stamina ran the checks itself on the final change:"
      : "Stamina ran the checks itself on the final change, and they did not all pass:",
    "",
  ];
  for (const c of v.checks) {
    const how =
      c.skipped !== null
        ? `⏭️ \`${c.command}\` did not run: ${c.skipped}`
        : c.passed
          ? `✅ \`${c.command}\` passed`
          : c.timedOut
            ? `❌ \`${c.command}\` did not finish in time`
            : `❌ \`${c.command}\` exited with code ${String(c.exitCode)}`;
    lines.push(`- ${how} (${c.name})`);
  }
  for (const c of v.checks) {
    if (c.passed || c.skipped !== null || c.output === "") continue;
    lines.push(
      "",
      `<details><summary>Output of ${c.name}</summary>`,
      "",
      "```",
      c.output.slice(-OUTPUT_TAIL).replace(/```/g, "ˋˋˋ"),
      "```",
      "",
      "</details>",
    );
  }
  return lines.join("\n");
}

function checksNamed(run: Run): string {
  const commands = [run.config.build, run.config.test, run.config.lint].filter(
    (c): c is string => c !== null,
  );
  return commands.length > 0 ? ` (${commands.map((c) => `\`${c}\``).join(", ")})` : "";
}

/** A plan step on one line, so a step's text cannot add items of its own. */
function planText(item: PlanItem): string {
  const text = item.step.replace(/\s+/g, " ").trim().slice(0, 200);
  return item.status === "in_progress" ? `${text} _(in progress)_` : text;
}
