// Text from an audit event made safe for one line of Markdown on GitHub (or,
// for the terminal, one line of plain text). Event data holds what the model,
// tools and commands said, so it is untrusted: it must not break the layout,
// ping anyone, link an issue or send the terminal an escape sequence.

const ZWJ = "\u200D";

/** Invisible format characters: zero-width, bidi overrides (which reorder what a reader sees). */
const FORMAT = /\p{Cf}/gu;
/** Control characters left once whitespace is collapsed. */
const INVISIBLE = /\p{Cc}/gu;

/**
 * One line of plain text, at most `max` characters: whitespace collapsed,
 * invisible characters dropped, backticks turned into a look-alike so a code
 * span cannot be closed, and `@name` / `#123` broken with a zero-width joiner
 * so GitHub neither notifies a person or team nor links (or closes) an issue.
 */
export function inlineText(text: string, max: number): string {
  const markdownSafe = flatten(text, max)
    .replace(/`/g, "ˋ")
    .replace(/@(?=[\p{L}\p{N}_-])/gu, `@${ZWJ}`)
    .replace(/#(?=\d)/g, `#${ZWJ}`);
  return cap(markdownSafe, max);
}

/**
 * One line of plain text for a terminal, at most `max` characters: whitespace collapsed and
 * invisible and control characters dropped (no escape sequence reaches the terminal), but
 * nothing changed for Markdown: backticks, `@name` and `#123` stay as they were written.
 */
export function plainLine(text: string, max: number): string {
  return cap(flatten(text, max), max);
}

/** The start of `text` on one line: whitespace collapsed, invisible and control characters dropped. */
function flatten(text: string, max: number): string {
  // Only the start can show; cleaning a megabyte of tool output to show 200 characters is waste.
  const scan = Math.max(max * 8, 1_000);
  const clean = head(text, scan)
    .replace(FORMAT, "")
    .replace(/\s+/g, " ")
    .replace(INVISIBLE, "")
    .trim();
  return text.length > scan ? `${clean}…` : clean;
}

/** `text` cut to `max` characters with an ellipsis. */
export function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  return max <= 0 ? "" : `${head(text, max - 1)}…`;
}

/** The first `n` UTF-16 units of `text`, one fewer where that would split a surrogate pair. */
function head(text: string, n: number): string {
  if (text.length <= n) return text;
  const last = text.charCodeAt(n - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? n - 1 : n);
}

/** `text` (already passed through inlineText) as a code span; nothing inside it renders. */
export function codeSpan(text: string): string {
  return text.length > 0 ? `\`${text}\`` : "";
}
