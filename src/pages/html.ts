// HTML built by a tagged template that escapes every value it is given: event data, issue
// titles and what the agent wrote are hostile, so nothing reaches a page unescaped unless it is
// markup this module built (an `Html`). No page sets innerHTML from data.

/** Markup that is already safe: built by `markup` (or `raw` from a constant of ours). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text made safe for an element's content and for a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** A value in a template: markup kept, lists joined, nothing for null, false or undefined. */
function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  if (typeof value === "string") return escapeHtml(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return escapeHtml(JSON.stringify(value) ?? "");
}

export function markup(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? "");
  });
  return new Html(out);
}

/** Our own constant markup (a stylesheet), never data. */
export function raw(text: string): Html {
  return new Html(text);
}

/**
 * Data for the page's script, in a `<script type="application/json">` the script parses. JSON
 * cannot end the element early: `<`, `>` and `&` become \u escapes (so `</script>` in an
 * event's text stays text), as do the line separators that old parsers took for line ends.
 */
export function jsonScript(id: string, data: unknown): Html {
  const json = JSON.stringify(data)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
  return markup`<script type="application/json" id="${id}">
    ${raw(json)}
  </script>`;
}
