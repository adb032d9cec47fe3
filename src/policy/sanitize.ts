// Untrusted text from GitHub (issue titles and bodies, comments) cleaned in
// one place before the agent reads it: hidden content removed, size capped.

/** Zero-width, bidi-control, word-joiner, BOM and Unicode tag characters: invisible to a reader. */
const INVISIBLE =
  /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u{E0000}-\u{E007F}]/gu;
const HTML_COMMENT = /<!--[\s\S]*?(?:-->|$)/g;

export const MAX_ISSUE_BODY_CHARS = 30_000;

export function sanitizeUntrusted(
  text: string | null | undefined,
  maxChars: number,
  what = "the issue",
): string {
  const clean = (text ?? "")
    .replace(HTML_COMMENT, "")
    .replace(INVISIBLE, "")
    .replace(/\r\n?/g, "\n");
  if (clean.length <= maxChars) return clean;
  const cut = clean.length - maxChars;
  return `${clean.slice(0, maxChars)}\n\n[… ${cut} more characters of ${what} were cut …]`;
}
