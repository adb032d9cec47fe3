// The pull request's body: while the run works (the draft opened at the first
// push), and when it ends: summary, `Fixes #N`, what changed (the model's
// account of the whole diff, then the files by area),
// the verification commands and results, the budget spent, the audit digest
// with the chain's head, and the timeline cut to fit. The repository's
// template, when it has one, keeps its sections (pr-template.ts).
import type { CheckName, ChecksReport } from "../agent/ports.ts";
import { readFinalReply } from "../agent/commit-message.ts";
import { describeTestWeakening, type TestWeakening } from "../agent/test-integrity.ts";
import { cap, inlineText } from "../audit/markdown.ts";
import { renderDigest, renderTimeline } from "../audit/render.ts";
import type { AuditEvent } from "../audit/types.ts";
import type { Area } from "./changes.ts";
import { mergeTemplate, type OurSections } from "./pr-template.ts";
import { runPageLines } from "./run-link.ts";
import type { Run } from "../store/types.ts";

/** GitHub's body limit is 65,536 characters; the timeline gets what the rest leaves. */
export const PR_BODY_LIMIT = 60_000;
/** How much of a failing check's output the pull request shows. */
const OUTPUT_TAIL = 3_000;
const FILES_PER_AREA = 15;
const AREAS_SHOWN = 30;
/** The model's summary, at most: the body's limit is GitHub's, whatever the model wrote. */
const SUMMARY_MAX = 20_000;
/** The model's account of the change, at most. */
const CHANGES_MAX = 10_000;
const TIMELINE_MARK = "\u0000timeline\u0000";

/** The body of the draft opened at the first push, until the run ends. */
export function workingBody(
  run: Run,
  notices: readonly string[] = [],
  runPage: string | null = null,
): string {
  return [
    `Fixes #${run.issueNumber}`,
    "",
    `🛠️ Stamina is still working on this (requested by @${run.requestedBy}); the pull request stays a draft until it is done. The checklist on #${run.issueNumber} and the **Stamina** check show how far it got.`,
    ...noticeLines(notices),
    ...runPageLines(runPage),
  ].join("\n");
}

/** Warnings every text of the run carries (a run without a sandbox, say), as quoted lines. */
export function noticeLines(notices: readonly string[] = []): string[] {
  return notices.flatMap((notice) => ["", `> ⚠️ ${notice}`]);
}

/** The body of the draft of a run that stopped before it finished (failed, or stopped by someone). */
export function stoppedBody(
  run: Run,
  why: string,
  notices: readonly string[] = [],
  runPage: string | null = null,
): string {
  return [
    `Fixes #${run.issueNumber}`,
    "",
    `${why} The work so far is on this branch; this pull request stays a draft. The comment on #${run.issueNumber} says more, and the **Stamina audit log** check runs hold the whole log.`,
    ...noticeLines(notices),
    ...runPageLines(runPage),
  ].join("\n");
}

export function pullRequestBody(input: {
  run: Run;
  /** The model's last reply: its summary and what changed go in; its commit message does not. */
  summary: string;
  verification: ChecksReport | null;
  /** Why the run stopped before it finished (a budget), when it did. */
  stopNote: string | null;
  /** Why the pull request stays a draft, when it does. */
  draftBecause?: string;
  testWeakening: TestWeakening[];
  /** What the run spent against its budget, in words. */
  spend: string;
  /** What the pull request's work cost so far, round by round (cost.ts `costSection`). */
  cost?: string;
  events: AuditEvent[];
  areas?: Area[];
  /** The repository's pull request template, when it has one. */
  template?: string | null;
  /** Warnings the run must show (pull-request.ts `notices`). */
  notices?: readonly string[];
  /** The run page's address (run-link.ts), when STAMINA_PUBLIC_URL is set. */
  runPage?: string | null;
}): string {
  const { run, verification } = input;
  const reply = readFinalReply(input.summary);
  const weakened = describeTestWeakening(input.testWeakening);
  const summary = [
    ...(input.draftBecause
      ? [`> ⚠️ **This pull request is a draft** because ${input.draftBecause}.`, ""]
      : []),
    ...(input.notices ?? []).flatMap((notice) => [`> ⚠️ ${notice}`, ""]),
    cap(reply.summary, SUMMARY_MAX) || "_The agent left no summary._",
    ...(weakened.length > 0
      ? [
          "",
          "⚠️ **This change deletes or weakens tests**; check that it should:",
          "",
          ...weakened.map((line) => `- ${line}`),
        ]
      : []),
    ...(input.stopNote ? ["", `> ${input.stopNote}`] : []),
  ].join("\n");
  const ours: OurSections = [
    { kind: "issue", title: "", body: `Fixes #${run.issueNumber}` },
    { kind: "summary", title: "Summary", body: summary },
    { kind: "changes", title: "What changed", body: changesText(reply.changes, input.areas ?? []) },
    { kind: "verification", title: "Verification", body: verificationText(verification) },
    {
      kind: "budget",
      title: "",
      body: [`**Budget:** ${input.spend}.`, ...(input.cost ? ["", input.cost] : [])].join("\n"),
    },
    {
      kind: "audit",
      title: "Audit",
      body: [
        renderDigest(input.events),
        ...runPageLines(input.runPage),
        "",
        "<details><summary>Timeline</summary>",
        "",
        TIMELINE_MARK,
        "",
        "</details>",
      ].join("\n"),
    },
  ];
  const body = mergeTemplate(input.template ?? null, ours);
  const room = PR_BODY_LIMIT - (body.length - TIMELINE_MARK.length);
  return body.replace(TIMELINE_MARK, () => renderTimeline(input.events, Math.max(room, 1_000)));
}

/** The model's account of the whole diff, then the files it touches, by area. */
function changesText(changes: string | null, areas: Area[]): string {
  const account =
    changes === null
      ? "_The agent gave no account of the change; the files it touches:_"
      : cap(changes, CHANGES_MAX);
  return `${account}\n\n${areasText(areas)}`;
}

/** Each area with its files and the lines added and removed. */
function areasText(areas: Area[]): string {
  if (areas.length === 0) return "_No file changed._";
  const lines: string[] = [];
  for (const area of areas.slice(0, AREAS_SHOWN)) {
    const added = sum(area.files.map((f) => f.added));
    const removed = sum(area.files.map((f) => f.removed));
    const files = area.files.length === 1 ? "1 file" : `${area.files.length} files`;
    lines.push(`- **\`${inlineText(area.name, 100)}\`** (${files}, +${added} −${removed})`);
    const shown = area.files.slice(0, FILES_PER_AREA).map((f) => `\`${inlineText(f.path, 150)}\``);
    const more = area.files.length - shown.length;
    lines.push(`  - Files: ${shown.join(", ")}${more > 0 ? ` and ${more} more` : ""}`);
  }
  const hidden = areas.length - AREAS_SHOWN;
  if (hidden > 0) lines.push(`- … and ${hidden} more folders; the diff has them all.`);
  return lines.join("\n");
}

function sum(values: Array<number | null>): number {
  return values.reduce<number>((total, v) => total + (v ?? 0), 0);
}

/**
 * Each check the harness ran, as it ran; failures with the end of their output. `on`: what they
 * ran on (the final change, unless given).
 */
export function verificationText(v: Verification | null, on = "the final change"): string {
  if (v === null) return "Stamina could not verify the change.";
  if (!v.configured) {
    return "No build, test or lint command is configured in `.github/stamina.yml`, so nothing was verified.";
  }
  const lines = [
    v.passed
      ? `Stamina ran the checks itself on ${on}:`
      : `Stamina ran the checks itself on ${on}, and they did not all pass:`,
    "",
  ];
  for (const c of v.checks) lines.push(`- ${checkLine(c)}${baselineMark(v, c.name)}`);
  const preexisting = v.preexisting ?? [];
  if (preexisting.length > 0) {
    lines.push(
      "",
      `Already failing before this change: ${preexisting.map((n) => `**${n}**`).join(", ")} failed on the base commit too, when Stamina ran the checks there before editing.`,
    );
  }
  const flaky = v.flaky ?? [];
  if (flaky.length > 0) {
    lines.push(
      "",
      `Flaky: ${flaky.map((n) => `**${n}**`).join(", ")} passed on the base commit, failed on this change, and passed when Stamina ran it once more.`,
    );
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

/** A verification, with what the checks on the base commit said of its failures (baseline.ts). */
type Verification = ChecksReport & { preexisting?: CheckName[]; flaky?: CheckName[] };

function baselineMark(v: Verification, name: CheckName): string {
  if (v.preexisting?.includes(name)) return " — already failing on the base commit";
  if (v.flaky?.includes(name)) return " — flaky: failed once, passed when run again";
  return "";
}

/** One check's result on one line. */
function checkLine(c: ChecksReport["checks"][number]): string {
  const how =
    c.skipped !== null
      ? `⏭️ \`${c.command}\` did not run: ${c.skipped}`
      : c.passed
        ? `✅ \`${c.command}\` passed`
        : c.timedOut
          ? `❌ \`${c.command}\` did not finish in time`
          : `❌ \`${c.command}\` exited with code ${String(c.exitCode)}`;
  return `${how} (${c.name})`;
}
