// The one place that knows what a secret looks like. Everything that leaves
// the process (log lines, tool output, audit events) passes through a
// Redactor: the values we hold (tokens, keys, webhook secret) by plain string
// search, and the shapes of credentials we do not hold by one combined regex.

export const REDACTED = "[REDACTED]";

export interface Redactor {
  /** The text with every known secret and every credential-shaped string replaced. */
  redact(text: string): string;
  /**
   * A deep copy with every string (and object key) redacted; numbers, booleans and the like
   * are kept. Anything that is not a plain object or array is copied as JSON would see it
   * (its `toJSON()` result, or its own enumerable properties), since JSON is where it goes.
   */
  redactValue<T>(value: T): T;
  /** Adds a value to search for from now on (a fresh installation token, say). */
  addSecret(secret: string): void;
  /**
   * Where the held secrets (not the credential shapes) appear in `text`, in any form `redact`
   * replaces, in order of `start`: for a scan that must say where, never what.
   */
  locate(text: string): SecretMatch[];
}

/** One held secret found in a text: `text.slice(start, end)` is it, in the form named. */
export interface SecretMatch {
  start: number;
  end: number;
  form: string;
}

/** Shorter values match too much ordinary text to be searched for safely. */
const MIN_SECRET_LENGTH = 8;

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

export function createRedactor(knownSecrets: Iterable<string> = []): Redactor {
  // Longest first, so a secret that contains another is replaced whole.
  let needles: string[] = [];
  const addSecret = (secret: string): void => {
    const found = new Set(needles);
    for (const form of formsOf(secret)) found.add(form);
    needles = [...found].sort((a, b) => b.length - a.length);
  };
  for (const secret of knownSecrets) addSecret(secret);

  const redact = (text: string): string => {
    let out = text;
    for (const needle of needles) {
      if (out.includes(needle)) out = out.replaceAll(needle, REDACTED);
    }
    return out.replace(SHAPE_PATTERN, (...args: unknown[]) => {
      const groups = args.at(-1) as Record<string, string | undefined>;
      return (groups.header ?? groups.url ?? groups.user ?? "") + REDACTED;
    });
  };

  const redactValue = <T>(value: T): T => copyRedacted(value, redact, new WeakMap()) as T;

  const locate = (text: string): SecretMatch[] => {
    const found: SecretMatch[] = [];
    for (const needle of needles) {
      for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
        if (!found.some((m) => at < m.end && m.start < at + needle.length)) {
          found.push({ start: at, end: at + needle.length, form: "as written" });
        }
      }
    }
    return found.sort((a, b) => a.start - b.start);
  };

  return { redact, redactValue, addSecret, locate };
}

/** The ways one secret value shows up in text we emit. */
function formsOf(secret: string): string[] {
  const forms = new Set<string>();
  for (const value of [secret, secret.trim()]) {
    if (value.length < MIN_SECRET_LENGTH) continue;
    forms.add(value);
    // As a JSON string's content, once and twice escaped (a JSON log line holding JSON).
    const once = JSON.stringify(value).slice(1, -1);
    forms.add(once);
    forms.add(JSON.stringify(once).slice(1, -1));
    forms.add(Buffer.from(value).toString("base64"));
    // git's Basic header: `AUTHORIZATION: basic base64(x-access-token:TOKEN)`.
    forms.add(Buffer.from(`x-access-token:${value}`).toString("base64"));
  }
  return [...forms];
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
