// The run page's timeline: each audit event as one line (its kind, type, step and a summary in
// plain words), the same on the page as rendered and as sent live, so a filter by kind treats
// both alike. Summaries come from src/audit/summarize.ts (the pull request's timeline), escaped
// here for HTML.
import { summarizeEvent } from "../audit/render.ts";
import type { AuditEvent } from "../audit/types.ts";
import { markup, type Html } from "./html.ts";

const KINDS = ["model", "tool", "command", "git", "github", "watchdog", "safety", "run"] as const;
type Kind = (typeof KINDS)[number];

/** Event types that are safety controls acting, whatever their prefix says. */
const SAFETY_TYPES = new Set([
  "safety",
  "sandbox.limit",
  "network.blocked",
  "network.refused",
  "git.secret_scan",
  "git.push_refused",
  "git.refused",
  "budget.exhausted",
  "approval.held",
  "approval.applied",
  "approval.requested",
  "approval.decided",
]);

const PREFIXES: Array<[string, Kind]> = [
  ["model.", "model"],
  ["context.", "model"],
  ["tool.", "tool"],
  ["command", "command"],
  ["verify.", "command"],
  ["git.", "git"],
  ["commit.", "git"],
  ["rollback.", "git"],
  ["github.", "github"],
  ["review.", "github"],
  ["issue.", "github"],
  ["watchdog.", "watchdog"],
];

/** Which of the page's filters an event falls under; `run` for the run's own life. */
function kindOf(type: string): Kind {
  if (SAFETY_TYPES.has(type)) return "safety";
  for (const [prefix, kind] of PREFIXES) if (type.startsWith(prefix)) return kind;
  return "run";
}

/** One event as the page's script receives it live. */
export interface TimelineItem {
  seq: number;
  ts: string;
  type: string;
  kind: Kind;
  step: number | null;
  summary: string;
}

export function timelineItem(e: AuditEvent): TimelineItem {
  return {
    seq: e.seq,
    ts: e.ts,
    type: e.type,
    kind: kindOf(e.type),
    step: typeof e.data.step === "number" ? e.data.step : null,
    summary: summarizeEvent(e, { plain: true }),
  };
}

/** The markup the page's script builds for a live event too (run-page.js keeps them alike). */
export function timelineRow(item: TimelineItem): Html {
  return markup`<div class="event" data-kind="${item.kind}" data-seq="${item.seq}">
    <span class="seq">${item.seq}</span> <span class="kind">[${item.kind}]</span>
    <span class="type">${item.type}</span
    >${item.step === null ? "" : markup` <span class="step">step ${item.step}</span>`}
    <span class="summary">${item.summary}</span>
  </div>`;
}

export function kindFilters(): Html {
  return markup`<div class="kinds" id="kinds">
    Show:
    ${KINDS.map(
      (k) => markup`<label><input type="checkbox" name="kind" value="${k}" checked /> ${k}</label>`,
    )}
  </div>`;
}
