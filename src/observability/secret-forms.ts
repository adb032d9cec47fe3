// The ways one held secret can reach text we emit, and the views of a text
// they are searched in. A secret printed as it is, escaped for JSON, encoded
// (base64 and base64url at any byte alignment, hex, URL encoding), reversed,
// or cut across lines, is still that secret.

/** Shorter values match too much ordinary text to be searched for safely. */
export const MIN_SECRET_LENGTH = 8;

/** One form of a held secret, as written (before any view removes line breaks from it). */
export interface Form {
  text: string;
  form: string;
  /** Hex digits: matched in any case (`%4A`, `4a`). */
  caseless: boolean;
}

/**
 * A line break a secret may be cut at, with the indentation after it: a secret is searched for
 * in a view of the text with every such break removed, so `printf 'abc\n  def'`, base64 wrapped
 * at 76 columns, and a JSON log line holding either, still hold it. Two views: one without real
 * line breaks (`\n`, `\r\n`), one without JSON-escaped ones (`\\n`, `\\r\\n`), run where the text
 * has such an escape. Kept apart so that a backslash in ordinary text never swallows a letter of
 * a secret after it.
 */
export const BREAKS: readonly LineBreaks[] = [
  { marker: "\n", pattern: /\r?\n[ \t]*/g, kept: "" },
  // An escaped backslash is matched as itself and kept: `\\n` is a backslash, then an `n`.
  { marker: "\\n", pattern: /(\\\\)|(?:\\r)?\\n(?:[ \t]|\\t)*/g, kept: "$1" },
];

/** One kind of line break: a text without `marker` has none; `pattern` matches one, or what to keep. */
export interface LineBreaks {
  marker: string;
  pattern: RegExp;
  /** The replacement for a match of `pattern`: what of it is not a break. */
  kept: string;
}

/** A text with its line breaks removed, and the way back to the original's offsets. */
export interface FlatText {
  text: string;
  /** Whether any break was removed. */
  changed: boolean;
  /** The offset in the original text of the flattened text's character at `index`. */
  toOriginal(index: number): number;
}

export function flatten(text: string, breaks: LineBreaks): FlatText {
  const flat = text.includes(breaks.marker) ? text.replace(breaks.pattern, breaks.kept) : text;
  if (flat.length === text.length) return { text, changed: false, toOriginal: (i) => i };
  // Where the breaks were, worked out only when a match needs its place in the original.
  let table: { flatAt: number[]; shift: number[] } | undefined;
  const toOriginal = (index: number): number => {
    table ??= breakTable(text, breaks);
    const { flatAt, shift } = table;
    let lo = 0;
    let hi = flatAt.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (flatAt[mid]! <= index) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? index : index + shift[lo - 1]!;
  };
  return { text: flat, changed: true, toOriginal };
}

/** After the k-th break, flattened offsets from flatAt[k] on sit shift[k] further on. */
function breakTable(text: string, breaks: LineBreaks): { flatAt: number[]; shift: number[] } {
  const flatAt: number[] = [];
  const shift: number[] = [];
  let removed = 0;
  for (const m of text.matchAll(breaks.pattern)) {
    if (m[1] !== undefined) continue; // kept whole
    removed += m[0].length;
    flatAt.push(m.index + m[0].length - removed);
    shift.push(removed);
  }
  return { flatAt, shift };
}

/** The ways one secret value shows up in text we emit. */
export function formsOf(secret: string): Form[] {
  const forms: Form[] = [];
  const add = (text: string, form: string, caseless = false): void => {
    forms.push({ text, form, caseless });
  };
  for (const value of new Set([secret, secret.trim()])) {
    if (value.length < MIN_SECRET_LENGTH) continue;
    add(value, "as written");
    // As a JSON string's content, once and twice escaped (a JSON log line holding JSON).
    const once = JSON.stringify(value).slice(1, -1);
    add(once, "JSON-escaped");
    add(JSON.stringify(once).slice(1, -1), "JSON-escaped");
    const bytes = Buffer.from(value);
    // git's Basic header: `AUTHORIZATION: basic base64(x-access-token:TOKEN)`.
    add(Buffer.from(`x-access-token:${value}`).toString("base64"), "base64");
    for (const encoding of ["base64", "base64url"] as const) {
      for (const text of base64Forms(bytes, encoding)) add(text, encoding);
    }
    add(bytes.toString("hex"), "hex", true);
    add(percentEncoded(bytes), "URL-encoded", true);
    add(encodeURIComponent(value), "URL-encoded");
    add(new URLSearchParams({ v: value }).toString().slice(2), "URL-encoded");
    add([...value].reverse().join(""), "reversed");
  }
  // A private key's body, whole or a line of it, printed without its BEGIN line.
  const body = /-----BEGIN[^-\n]*-----\r?\n([\s\S]*?)-----END/.exec(secret)?.[1];
  if (body !== undefined) {
    add(body, "as written");
    // Its base64 lines, not the headers of an old encrypted key (`Proc-Type: 4,ENCRYPTED`).
    for (const line of body.split(/\r?\n/)) {
      if (!line.includes(":")) add(line.trim(), "as written");
    }
  }
  return forms;
}

/**
 * The texts to search a view for, for one form: the form with the view's breaks removed, and,
 * since a break's indentation swallows the form's own spaces after it, the form with each run
 * of them (or its end) removed too. None shorter than `MIN_SECRET_LENGTH`.
 */
export function needlesOf(form: string, breaks: LineBreaks): string[] {
  const variants = new Set([form]);
  for (const space of form.matchAll(SPACE)) {
    if (variants.size >= 32) break;
    variants.add(form.slice(0, space.index) + form.slice(space.index).replace(INDENT, ""));
  }
  const needles = new Set<string>();
  for (const variant of variants) {
    const flat = flatten(variant, breaks).text;
    if (flat.length >= MIN_SECRET_LENGTH) needles.add(flat);
  }
  return [...needles];
}

/** Spaces and tabs (also as JSON writes a tab) that a line break's indentation swallows. */
const SPACE = /[ \t]|\\t/g;
const INDENT = /^(?:[ \t]|\\t)+/;

/**
 * What the secret's bytes encode to wherever they sit in the encoded data. Base64 takes bytes
 * three at a time, so a secret after 0, 1 or 2 other bytes encodes to three different texts;
 * in each, the characters made of the secret's bits alone are the same whatever surrounds it.
 * Those, and with the end of the data right after the secret, its last characters and padding
 * too.
 */
function base64Forms(bytes: Buffer, encoding: "base64" | "base64url"): string[] {
  const forms: string[] = [];
  for (const before of [0, 1, 2]) {
    const all = Buffer.concat([Buffer.alloc(before), bytes]).toString(encoding);
    // Character i holds bits 6i..6i+5 of the data; the secret's are 8*before..8*(before+n)-1.
    const first = Math.ceil((8 * before) / 6);
    const end = Math.floor((8 * (before + bytes.length)) / 6);
    const tail = all.slice(first);
    forms.push(tail, tail.replace(/=+$/, ""), all.slice(first, end));
  }
  return forms;
}

/** Every byte as `%XX`, the form a URL may carry any byte in. */
function percentEncoded(bytes: Buffer): string {
  let out = "";
  for (const byte of bytes) out += `%${byte.toString(16).padStart(2, "0")}`;
  return out;
}
