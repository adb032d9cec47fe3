// The audit timeline in Markdown: one line per event, cut in the middle to fit
// a size (the pull request body leaves it about 60,000 characters). The first
// and last events always show; the note in between says what was cut and where
// the full log is.
import { cap, codeSpan } from "./markdown.ts";
import { summarizeEvent } from "./summarize.ts";
import type { AuditEvent } from "./types.ts";

/** About how long one event's line may be. */
const LINE_MAX = 200;

/** The timeline of `events`, never longer than `maxChars`. */
export function renderTimeline(events: readonly AuditEvent[], maxChars: number): string {
  if (events.length === 0) return cap("_No audit events were recorded._", maxChars);
  const lines = events.map(timelineLine);
  const whole = lines.join("\n");
  if (whole.length <= maxChars) return whole;

  // Room for the note at its longest, so whatever is cut, the note fits.
  const maxSeq = Math.max(...events.map((e) => e.seq));
  const reserve = cutNote(events.length, maxSeq, maxSeq).length + 4; // two blank lines around it
  const kept = keepEnds(
    lines.map((l) => l.length),
    maxChars - reserve,
  );
  const first = events[0];
  const last = events.at(-1);
  if (kept === null || first === undefined || last === undefined) {
    // Not even the first and last lines fit: the note alone, as much of it as fits.
    return cap(cutNote(events.length, first?.seq ?? 0, last?.seq ?? 0), maxChars);
  }
  const { head, tail } = kept;
  const cutFrom = events[head]?.seq ?? 0;
  const cutTo = events[events.length - tail - 1]?.seq ?? 0;
  const note = cutNote(events.length - head - tail, cutFrom, cutTo);
  // Blank lines around the note end the list before it, so the list after it starts at its own number.
  return [lines.slice(0, head).join("\n"), note, lines.slice(-tail).join("\n")].join("\n\n");
}

/** `seq. HH:MM:SS type — summary`, the summary in a code span so nothing in it renders. */
export function timelineLine(e: AuditEvent): string {
  const type = e.type.replace(/[^\w.:-]/g, "?").slice(0, 40);
  const prefix = `${e.seq}. ${clock(e.ts)} ${type}`;
  const summary = cap(summarizeEvent(e), LINE_MAX - prefix.length - 5);
  return summary.length > 0 ? `${prefix} — ${codeSpan(summary)}` : prefix;
}

/**
 * How many lines to keep at the head and at the tail (at least one each) within
 * `budget` characters, lines joined by newlines; about half the room for each
 * end. Null when the first and last lines alone do not fit.
 */
function keepEnds(lengths: number[], budget: number): { head: number; tail: number } | null {
  const n = lengths.length;
  const len = (i: number) => lengths[i] ?? 0;
  let used = len(0) + len(n - 1);
  if (n < 2 || used > budget) return null;
  let head = 1;
  let tail = 1;
  const grow = (limit: number, side: "head" | "tail") => {
    while (head + tail < n) {
      const next = side === "head" ? len(head) : len(n - 1 - tail);
      if (used + next + 1 > limit) return;
      used += next + 1;
      if (side === "head") head += 1;
      else tail += 1;
    }
  };
  grow(Math.floor(budget / 2), "head");
  grow(budget, "tail");
  grow(budget, "head");
  return { head, tail };
}

function cutNote(count: number, from: number, to: number): string {
  const what =
    count === 1 ? `1 event cut (seq ${from})` : `${count} events cut (seq ${from}–${to})`;
  return `… ${what}; the full log is in the "Stamina audit log" check runs and \`stamina audit export\` …`;
}

/** `HH:MM:SS` in UTC. */
function clock(ts: string): string {
  const date = new Date(ts);
  return Number.isNaN(date.getTime()) ? "??:??:??" : date.toISOString().slice(11, 19);
}
