// What a run says on GitHub: the tracking comment at each stage and the pull
// request body. Plain words for the people reading; never a stack trace.
import { renderDigest, renderTimeline } from "../audit/render.ts";
import type { AuditEvent } from "../audit/types.ts";
import type { Run } from "./types.ts";

/** GitHub's body limit is 65,536 characters; the timeline gets what the rest leaves. */
const PR_BODY_LIMIT = 60_000;

export type Stage =
  | { kind: "queued" }
  | { kind: "working" }
  | { kind: "opened"; pullUrl: string; verified: boolean }
  | { kind: "failed"; reason: string };

export interface Verification {
  command: string | null;
  passed: boolean;
  exitCode: number | null;
  /** The tail of the output, for a failing run. */
  output: string;
}

const MARKER = "<!-- stamina:tracking -->";

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
        `- [ ] Verify${run.config.test ? ` (\`${run.config.test}\`)` : ""}`,
        "- [ ] Open a pull request",
      );
      break;
    case "working":
      lines.push(
        `🛠️ Stamina is working on this issue on branch \`${run.branch ?? "…"}\`.`,
        "",
        "- [x] Prepare a workspace",
        `- [ ] Make the change (${steps})`,
        "- [ ] Verify",
        "- [ ] Open a pull request",
      );
      break;
    case "opened":
      lines.push(
        stage.verified
          ? `✅ Stamina opened ${stage.pullUrl} — verification passed.`
          : `⚠️ Stamina opened ${stage.pullUrl} as a draft — verification did not pass; the pull request says why.`,
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
  }
  lines.push("", `<sub>Run \`${run.id}\`</sub>`);
  return lines.join("\n");
}

export function pullRequestBody(input: {
  run: Run;
  summary: string;
  verification: Verification;
  stopNote: string | null;
  events: AuditEvent[];
}): string {
  const { run, verification } = input;
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
    ...(input.stopNote ? ["", `> ${input.stopNote}`] : []),
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

function verificationText(v: Verification): string {
  if (v.command === null) {
    return "No test command is configured in `.github/stamina.yml`, so nothing was verified.";
  }
  if (v.passed) return `✅ \`${v.command}\` passed.`;
  const code = v.exitCode === null ? "did not finish" : `exited with code ${v.exitCode}`;
  return [`❌ \`${v.command}\` ${code}.`, "", "```", v.output.replace(/```/g, "ˋˋˋ"), "```"].join(
    "\n",
  );
}
