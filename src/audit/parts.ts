// The whole audit log as the parts of the "Stamina audit log" check runs:
// each part's text holds a slice of the JSONL (exactly, in a code fence), so
// the parts' texts put back together are the log `stamina audit verify`
// checks; each part's summary says which events it holds, with their
// timeline. Every field stays within GitHub's 65,535 characters (counted here
// in UTF-8 bytes, which is never fewer).
import { toJsonl } from "./jsonl.ts";
import { signedBy } from "./signing.ts";
import { renderTimeline } from "./timeline.ts";
import type { AuditEvent } from "./types.ts";

export const CHECK_OUTPUT_LIMIT = 65_535;
const AUDIT_CHECK_NAME = "Stamina audit log";

export interface AuditPart {
  /** "Stamina audit log", then "Stamina audit log (2)" and on. */
  name: string;
  title: string;
  summary: string;
  text: string;
}

/** Room for the fence lines around a slice (fences grow past the longest backtick run). */
const FENCE_ROOM = 64;

function auditPartName(index: number): string {
  return index === 0 ? AUDIT_CHECK_NAME : `${AUDIT_CHECK_NAME} (${index + 1})`;
}

export function auditParts(
  events: readonly AuditEvent[],
  limit: number = CHECK_OUTPUT_LIMIT,
): AuditPart[] {
  const jsonl = toJsonl(events);
  const slices = sliceUtf8(jsonl, limit - FENCE_ROOM);
  const head = events.at(-1)?.hash ?? "";
  const keyId = signedBy(events);
  const signing =
    keyId === null
      ? " (not signed: no audit key is set)"
      : `, signed with audit key \`${keyId}\` (\`stamina audit verify FILE --key PUBLIC\` checks it)`;
  // The seq each slice starts in, for the summaries: line n of the JSONL is event n.
  let offset = 0;
  return slices.map((slice, index) => {
    const firstLine = countNewlines(jsonl, 0, offset);
    offset += slice.length;
    const lastLine = countNewlines(jsonl, 0, offset - 1);
    const inPart = events.slice(firstLine, lastLine + 1);
    const from = inPart[0]?.seq ?? 0;
    const to = inPart.at(-1)?.seq ?? 0;
    const intro = [
      `Part ${index + 1} of ${slices.length} of the audit log of run \`${events[0]?.run ?? ""}\`: events ${from}–${to} of ${events.length}${
        startsMidLine(jsonl, offset - slice.length)
          ? ` (event ${from} began in the part before)`
          : ""
      }.`,
      "",
      `Chain head: \`${head}\`${signing}. The text of each part, between its fences, is a piece of the log's JSONL: put the pieces of every part together in order and \`stamina audit verify\` checks the file.`,
      "",
    ].join("\n");
    const summary = intro + renderTimeline(inPart, limit - byteLength(intro) - 200);
    return {
      name: auditPartName(index),
      title: `Audit log, events ${from}–${to} of ${events.length}`,
      summary: capBytes(summary, limit),
      text: fenced(slice),
    };
  });
}

/** The JSONL back from the texts of every part, in order. */
export function reassembleJsonl(texts: readonly string[]): string {
  return texts.map((t) => t.slice(t.indexOf("\n") + 1, t.lastIndexOf("\n"))).join("");
}

/** A code fence longer than any run of backticks inside, so nothing inside closes it. */
function fenced(slice: string): string {
  const longest = Math.max(0, ...(slice.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}jsonl\n${slice}\n${fence}`;
}

/**
 * Cuts text into slices of at most `maxBytes` UTF-8 bytes, at line ends where a line fits,
 * never inside a character.
 */
function sliceUtf8(text: string, maxBytes: number): string[] {
  const slices: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = start;
    let bytes = 0;
    let lastLineEnd = -1;
    while (end < text.length) {
      const code = text.codePointAt(end) ?? 0;
      const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      if (bytes + width > maxBytes) break;
      bytes += width;
      end += code >= 0x10000 ? 2 : 1;
      if (code === 0x0a) lastLineEnd = end;
    }
    if (end < text.length && lastLineEnd > start) end = lastLineEnd;
    slices.push(text.slice(start, end));
    start = end;
  }
  return slices;
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf("\n", from); i !== -1 && i < to; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

function startsMidLine(text: string, at: number): boolean {
  return at > 0 && text[at - 1] !== "\n";
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

function capBytes(text: string, max: number): string {
  if (byteLength(text) <= max) return text;
  let cut = Math.min(text.length, max);
  while (byteLength(text.slice(0, cut)) > max - 3) cut -= 1;
  if (/[\ud800-\udbff]/.test(text[cut - 1] ?? "")) cut -= 1;
  return `${text.slice(0, cut)}…`;
}
