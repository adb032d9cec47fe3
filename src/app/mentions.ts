// Whether a comment mentions the app: `@slug` or `@slug[bot]`, a whole word in any case, in the
// writer's own words as GitHub shows them. A mention in a code span or block is an example, one
// in a quote (`> …`, and the lines GitHub renders inside it) is someone else's words, and one in
// an HTML comment nobody sees: none of them addresses Stamina.
import { sanitizeUntrusted } from "../policy/sanitize.ts";

/** GitHub's limit on a comment's length. */
const MAX_COMMENT_CHARS = 65_536;
const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const QUOTE = /^ {0,3}>/;
const INDENTED = /^(?: {4}| {0,3}\t)/;
const HEADING = /^ {0,3}#{1,6}(?:\s|$)/;
const LIST_ITEM = /^ {0,3}(?:[-+*]|\d{1,9}[.)])(?:\s|$)/;

export function mentionsApp(body: string | null | undefined, slug: string): boolean {
  const name = slug.replace(/[^A-Za-z0-9-]/g, (c) => `\\${c}`);
  // Not part of an address (`ops@stamina.dev`), a path or a longer name (`@stamina-dev`).
  const mention = new RegExp(`(?<![\\w@./-])@${name}(?:\\[bot\\])?(?![\\w-])`, "i");
  return ownParagraphs(sanitizeUntrusted(body, MAX_COMMENT_CHARS)).some((paragraph) =>
    mention.test(withoutCodeSpans(paragraph)),
  );
}

/**
 * The comment's own text, paragraph by paragraph: fenced and indented code blocks left out, and
 * quotes with their lazy continuation lines (a line right under `> …` that GitHub shows inside
 * the quote).
 */
function ownParagraphs(text: string): string[] {
  const paragraphs: string[] = [];
  let current: string[] = [];
  let fence: { char: string; length: number } | null = null;
  let quoted = false;
  let indentedCode = false;
  let afterBlank = true;
  let inList = false;
  const breakParagraph = () => {
    if (current.length > 0) paragraphs.push(current.join("\n"));
    current = [];
  };
  for (const line of text.split("\n")) {
    if (fence !== null) {
      const close = FENCE.exec(line);
      const marker = close?.[1] ?? "";
      if (marker[0] === fence.char && marker.length >= fence.length && close?.[2]?.trim() === "") {
        fence = null;
      }
      continue;
    }
    const blank = line.trim() === "";
    if (blank) {
      breakParagraph();
      quoted = false;
      afterBlank = true;
      continue;
    }
    const open = FENCE.exec(line);
    // A backtick fence's info string holds no backtick; with one, the line is inline code.
    if (open && !(open[1]![0] === "`" && open[2]!.includes("`"))) {
      breakParagraph();
      fence = { char: open[1]![0]!, length: open[1]!.length };
      quoted = false;
      afterBlank = true;
      continue;
    }
    // A list item or a heading under a quote starts a block of its own, outside the quote.
    if (QUOTE.test(line) || (quoted && !LIST_ITEM.test(line) && !HEADING.test(line))) {
      quoted = true;
      afterBlank = false;
      continue;
    }
    quoted = false;
    const indented = INDENTED.test(line);
    if (indented && (indentedCode || (afterBlank && !inList))) {
      indentedCode = true;
      continue;
    }
    indentedCode = false;
    if (!indented) inList = LIST_ITEM.test(line) || (inList && !afterBlank);
    afterBlank = false;
    current.push(line);
  }
  breakParagraph();
  return paragraphs;
}

/**
 * The text with its code spans blanked: a run of backticks opens one that the next run of the
 * same length closes; a run no other closes is plain backticks.
 */
function withoutCodeSpans(text: string): string {
  const runs = [...text.matchAll(/`+/g)].map((m) => ({ at: m.index, length: m[0].length }));
  // Each run's closer: the next run of the same length, found in one pass from the end.
  const closer: Array<number | undefined> = [];
  const nextOfLength = new Map<number, number>();
  for (let i = runs.length - 1; i >= 0; i--) {
    closer[i] = nextOfLength.get(runs[i]!.length);
    nextOfLength.set(runs[i]!.length, i);
  }
  let out = "";
  let from = 0;
  for (const [i, run] of runs.entries()) {
    const close = closer[i];
    if (run.at < from || close === undefined) continue;
    const end = runs[close]!;
    out += `${text.slice(from, run.at)} `;
    from = end.at + end.length;
  }
  return out + text.slice(from);
}
