// Finding many needles in a long text in one pass: every needle is at least
// WINDOW characters long, so a rolling hash of each WINDOW characters of the
// text, looked up among the hashes of the needles' first WINDOW characters,
// says where one may start; only there are needles compared. Letters are
// hashed without their case, so hex digits match in any case.
import { MIN_SECRET_LENGTH } from "./secret-forms.ts";

/** A text to look for, the form of the secret it is, and whether its case matters. */
export interface Needle {
  text: string;
  form: string;
  /** Matched in any case (hex digits: `%4A`, `4a`); then `text` is lowercase. */
  caseless: boolean;
}

/** Where one needle, or several that overlap, were found. */
export interface Found {
  start: number;
  end: number;
  form: string;
}

/** Every needle is at least this long. */
const WINDOW = MIN_SECRET_LENGTH;

const BASE = 0x01000193;
let power = 1;
for (let k = 1; k < WINDOW; k++) power = Math.imul(power, BASE);
/** BASE to the power WINDOW - 1: the weight of the character leaving the window. */
const OUTGOING = power;
const FILTER_BITS = 16;

/** A-Z as a-z, everything else as it is. */
const fold = (code: number): number => (code >= 65 && code <= 90 ? code + 32 : code);
const slot = (hash: number): number => (hash ^ (hash >>> FILTER_BITS)) & ((1 << FILTER_BITS) - 1);

/** The needles, by the hash of their first WINDOW characters, longest first in each bucket. */
export function searchIndex(needles: readonly Needle[]): (text: string) => Found[] {
  const buckets = new Map<number, Needle[]>();
  const filter = new Uint8Array(1 << FILTER_BITS);
  const seen = new Set<string>();
  for (const needle of needles) {
    if (needle.text.length < WINDOW) continue;
    const text = needle.caseless ? needle.text.toLowerCase() : needle.text;
    const key = `${needle.caseless ? "i" : "s"}${text}`;
    if (seen.has(key)) continue; // the first form named is the one kept
    seen.add(key);
    let hash = 0;
    for (let k = 0; k < WINDOW; k++) hash = (Math.imul(hash, BASE) + fold(text.charCodeAt(k))) | 0;
    const bucket = buckets.get(hash) ?? [];
    bucket.push({ ...needle, text });
    buckets.set(hash, bucket);
    filter[slot(hash)] = 1;
  }
  for (const bucket of buckets.values()) bucket.sort((a, b) => b.text.length - a.text.length);
  return (text) => (buckets.size === 0 ? [] : scan(text, buckets, filter));
}

/**
 * At each offset, the longest needle that starts there; a match inside the last one is left
 * out, one that starts inside it and ends past it is kept (the caller joins them).
 */
function scan(text: string, buckets: Map<number, Needle[]>, filter: Uint8Array): Found[] {
  const found: Found[] = [];
  if (text.length < WINDOW) return found;
  let lastEnd = 0;
  let hash = 0;
  for (let k = 0; k < WINDOW; k++) hash = (Math.imul(hash, BASE) + fold(text.charCodeAt(k))) | 0;
  for (let at = 0; ; at++) {
    if (filter[slot(hash)] === 1) {
      const bucket = buckets.get(hash);
      const needle = bucket?.find((n) => matchesAt(text, at, n));
      if (needle !== undefined && at + needle.text.length > lastEnd) {
        lastEnd = at + needle.text.length;
        found.push({ start: at, end: lastEnd, form: needle.form });
      }
    }
    if (at + WINDOW >= text.length) return found;
    const leaving = Math.imul(fold(text.charCodeAt(at)), OUTGOING);
    hash = (Math.imul(hash - leaving, BASE) + fold(text.charCodeAt(at + WINDOW))) | 0;
  }
}

function matchesAt(text: string, at: number, needle: Needle): boolean {
  if (!needle.caseless) return text.startsWith(needle.text, at);
  const end = at + needle.text.length;
  return end <= text.length && text.slice(at, end).toLowerCase() === needle.text;
}
