// Finding many needles in a long text at once (Wu and Manber's search): every
// needle is at least WINDOW characters long, so the text is read WINDOW
// characters at a time, and the last BLOCK characters of the window say how far
// it may move on without passing the start of any needle. Where they say it may
// not, the window's characters are hashed and looked up among the needles'
// first WINDOW characters; only there are needles compared. Letters are read
// without their case, so hex digits match in any case.
import { MIN_SECRET_LENGTH } from "./secret-forms.ts";

/** A text to look for, the form of the secret it is, and whether its case matters. */
export interface Needle {
  text: string;
  form: string;
  /** Matched in any case (hex digits: `%4A`, `4a`); then `text` is lowercase. */
  caseless: boolean;
}

/** One held secret found in a text: `text.slice(start, end)` is it, in the form named. */
export interface SecretMatch {
  start: number;
  end: number;
  form: string;
}

/** Every needle is at least this long. */
const WINDOW = MIN_SECRET_LENGTH;
/** The characters that decide the shift. */
const BLOCK = 3;
const SHIFT_BITS = 16;

/** A-Z as a-z, everything else as it is. */
const fold = (code: number): number => (code >= 65 && code <= 90 ? code + 32 : code);

/** The slot in the shift table of the BLOCK characters that end at `end` (exclusive). */
function blockSlot(text: string, end: number): number {
  const a = fold(text.charCodeAt(end - 3));
  const b = fold(text.charCodeAt(end - 2));
  const c = fold(text.charCodeAt(end - 1));
  return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ c) >>> (32 - SHIFT_BITS);
}

/** The hash of the WINDOW characters from `start`: the key of the needles that start so. */
function windowHash(text: string, start: number): number {
  let hash = 0;
  for (let k = start; k < start + WINDOW; k++) {
    hash = (Math.imul(hash, 0x01000193) + fold(text.charCodeAt(k))) | 0;
  }
  return hash;
}

/** The needles, by the hash of their first WINDOW characters, longest first in each bucket. */
export function searchIndex(needles: readonly Needle[]): (text: string) => SecretMatch[] {
  const buckets = new Map<number, Needle[]>();
  // How far the window may move when its last BLOCK characters hash to a slot (the least of
  // every needle's block there, so no start is passed); WINDOW - BLOCK + 1 for any other.
  const shifts = new Uint8Array(1 << SHIFT_BITS).fill(WINDOW - BLOCK + 1);
  const seen = new Set<string>();
  for (const needle of needles) {
    if (needle.text.length < WINDOW) continue;
    const text = needle.caseless ? needle.text.toLowerCase() : needle.text;
    const key = `${needle.caseless ? "i" : "s"}${text}`;
    if (seen.has(key)) continue; // the first form named is the one kept
    seen.add(key);
    const hash = windowHash(text, 0);
    const bucket = buckets.get(hash) ?? [];
    bucket.push({ ...needle, text });
    buckets.set(hash, bucket);
    for (let end = BLOCK; end <= WINDOW; end++) {
      const slot = blockSlot(text, end);
      shifts[slot] = Math.min(shifts[slot]!, WINDOW - end);
    }
  }
  for (const bucket of buckets.values()) bucket.sort((a, b) => b.text.length - a.text.length);
  return (text) => (buckets.size === 0 ? [] : scan(text, buckets, shifts));
}

/**
 * At each offset, the longest needle that starts there; a match inside the last one is left
 * out, one that starts inside it and ends past it is kept (the caller joins them).
 */
function scan(text: string, buckets: Map<number, Needle[]>, shifts: Uint8Array): SecretMatch[] {
  const found: SecretMatch[] = [];
  let lastEnd = 0;
  // The window is text[end - WINDOW, end).
  for (let end = WINDOW; end <= text.length;) {
    const shift = shifts[blockSlot(text, end)]!;
    if (shift > 0) {
      end += shift;
      continue;
    }
    const at = end - WINDOW;
    const needle = buckets.get(windowHash(text, at))?.find((n) => matchesAt(text, at, n));
    if (needle !== undefined && at + needle.text.length > lastEnd) {
      lastEnd = at + needle.text.length;
      found.push({ start: at, end: lastEnd, form: needle.form });
    }
    end += 1;
  }
  return found;
}

function matchesAt(text: string, at: number, needle: Needle): boolean {
  if (!needle.caseless) return text.startsWith(needle.text, at);
  const end = at + needle.text.length;
  return end <= text.length && text.slice(at, end).toLowerCase() === needle.text;
}
