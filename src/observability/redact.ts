// The one place that knows what a secret looks like. Everything that leaves
// the process (log lines, tool output, audit events) passes through a
// Redactor: the values we hold (tokens, keys, webhook secret, the database's
// password) in every form `secret-forms.ts` knows (encoded, escaped, reversed,
// cut across lines), and the shapes of credentials we do not hold by one
// combined regex.

import { BREAKS, flatten, formsOf, needlesOf } from "./secret-forms.ts";
import { searchIndex, type Needle, type SecretMatch } from "./secret-search.ts";

export const REDACTED = "[REDACTED]";

export interface Redactor {
  /** The text with every known secret and every credential-shaped string replaced. */
  redact(text: string): string;
  /**
   * A deep copy with every string (and object key) redacted; numbers, booleans and the like
   * are kept. Anything that is not a plain object or array is copied as JSON would see it
   * (its `toJSON()` result, or its own enumerable properties), since JSON is where it goes.
   * `found` is called for each string the redaction changed.
   */
  redactValue<T>(value: T, found?: () => void): T;
  /** Adds a value to search for from now on (a fresh installation token, say). */
  addSecret(secret: string): void;
  /**
   * Where the held secrets (not the credential shapes) appear in `text`, in any form `redact`
   * replaces, in order of `start`: for a scan that must say where, never what.
   */
  locate(text: string): SecretMatch[];
}

export type { SecretMatch };

// Each alternative is one credential shape. The named groups keep a prefix
// (header name, URL user) so the reader still sees what was there.
const SHAPES = [
  // PEM private keys, also JSON-escaped (`\n`) and cut off before their END line.
  String.raw`-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY-----|(?:[A-Za-z0-9+/=\s]|\\[nr])*)`,
  // GitHub tokens: app installation, personal, OAuth, user-to-server, refresh; fine-grained PATs.
  String.raw`(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}`,
  String.raw`github_pat_[A-Za-z0-9_]{22,}`,
  // Anthropic API, admin and OAuth keys.
  String.raw`sk-ant-[A-Za-z0-9_-]{8,}`,
  // JWTs (a GitHub App's own token, OIDC tokens); the signature may be empty (alg none).
  String.raw`eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`,
  // Authorization header values: `Authorization: Bearer x`, `authorization=x`, JSON `"authorization":"x"`.
  String.raw`(?<header>authorization(?:\\?["'])?[ \t]*[:=][ \t]*(?:\\?["'])?(?:(?:basic|bearer|token)[ \t]+)?)[^\s"'\\,;&<>)]+`,
  // Passwords in URLs (`https://x-access-token:TOKEN@github.com`, `postgres://u:PASS@db`).
  String.raw`(?<url>://[^\s/:@"'\\]*:)[^\s/@"'\\]+(?=@)`,
  String.raw`(?<user>x-access-token:)[^\s/@"'\\]+(?=@)`,
];
const SHAPE_PATTERN = new RegExp(SHAPES.join("|"), "gi");

/** The remembered texts' total length, at most. */
const MEMO_MAX_CHARS = 32 * 1024 * 1024;
/** The remembered texts, at most (short ones: a request's keys, ids and tool names). */
const MEMO_MAX_TEXTS = 100_000;

export function createRedactor(knownSecrets: Iterable<string> = []): Redactor {
  const known = new Set<string>();
  // Per view of the text (`BREAKS`), the texts to search it for.
  const needles: Needle[][] = BREAKS.map(() => []);
  let search = searchFor(needles);
  const addSecret = (secret: string): void => {
    if (known.has(secret)) return;
    known.add(secret);
    for (const { text, form, caseless } of formsOf(secret)) {
      for (const [view, breaks] of BREAKS.entries()) {
        for (const needle of needlesOf(text, breaks)) {
          needles[view]!.push({ text: needle, form, caseless });
        }
      }
    }
    search = searchFor(needles);
    // A text redacted before may hold the new secret.
    memo.clear();
    memoChars = 0;
  };
  // Texts already redacted, with what they became: a model request carries the whole
  // transcript again each turn, and only its last messages are new; its keys, ids and tool
  // names come back every time. Forgotten past a bound.
  const memo = new Map<string, string>();
  let memoChars = 0;
  for (const secret of knownSecrets) addSecret(secret);

  const redact = (text: string): string => {
    const known = memo.get(text);
    if (known !== undefined) return known;
    const clean = redactNow(text);
    if (memoChars + text.length > MEMO_MAX_CHARS || memo.size >= MEMO_MAX_TEXTS) {
      memo.clear();
      memoChars = 0;
    }
    memo.set(text, clean);
    memoChars += text.length;
    return clean;
  };

  const redactNow = (text: string): string => {
    let out = "";
    let at = 0;
    for (const match of search(text)) {
      out += text.slice(at, match.start) + REDACTED;
      at = match.end;
    }
    out += text.slice(at);
    return out.replace(SHAPE_PATTERN, (...args: unknown[]) => {
      const groups = args.at(-1) as Record<string, string | undefined>;
      return (groups.header ?? groups.url ?? groups.user ?? "") + REDACTED;
    });
  };

  const redactValue = <T>(value: T, found?: () => void): T => {
    // `found` hears of each string the redaction changed: where a secret was caught, not which.
    const marked = (text: string): string => {
      const clean = redact(text);
      if (clean !== text) found?.();
      return clean;
    };
    return copyRedacted(value, found ? marked : redact, new WeakMap()) as T;
  };

  return { redact, redactValue, addSecret, locate: (text) => search(text) };
}

/**
 * The search for every needle at once, in each view of the text (`BREAKS`), longest first, so a
 * secret that contains another is found whole. Matches that overlap are joined, so no part of
 * one is left out; the result is in the original text's offsets, in order.
 */
function searchFor(needles: readonly Needle[][]): (text: string) => SecretMatch[] {
  const views = BREAKS.map((breaks, view) => ({ breaks, search: searchIndex(needles[view]!) }));
  if (needles.every((view) => view.length === 0)) return () => [];
  return (text) => {
    const found: SecretMatch[] = [];
    for (const [i, { breaks, search }] of views.entries()) {
      const flat = flatten(text, breaks);
      // The first view is the text itself where it has no line break; the others add nothing then.
      if (i > 0 && !flat.changed) continue;
      for (const match of joined(search(flat.text))) {
        const start = flat.toOriginal(match.start);
        const end = flat.toOriginal(match.end - 1) + 1;
        const cut = end - start !== match.end - match.start;
        found.push({ start, end, form: cut ? cutName(match.form) : match.form });
      }
    }
    return joined(found);
  };
}

function cutName(form: string): string {
  return form === "as written" ? "split across lines" : `${form}, split across lines`;
}

/** The matches in order, those that overlap made one (named by the first). */
function joined(matches: SecretMatch[]): SecretMatch[] {
  matches.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: SecretMatch[] = [];
  for (const m of matches) {
    const last = out.at(-1);
    if (last !== undefined && m.start < last.end) last.end = Math.max(last.end, m.end);
    else out.push({ ...m });
  }
  return out;
}

function copyRedacted(
  value: unknown,
  redact: (text: string) => string,
  seen: WeakMap<object, unknown>,
): unknown {
  if (typeof value === "string") return redact(value);
  if (typeof value !== "object" || value === null) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(copyRedacted(item, redact, seen));
    return copy;
  }
  // A Date, URL or Buffer is copied as JSON will write it: a URL's href can hold a password.
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    const copy = copyRedacted(toJSON.call(value), redact, seen);
    seen.set(value, copy);
    return copy;
  }
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const [key, item] of Object.entries(value)) {
    copy[redact(key)] = copyRedacted(item, redact, seen);
  }
  return copy;
}
