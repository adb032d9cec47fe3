// The secret scan that runs on every push: the lines a push would add, read
// from a unified diff, checked against credential shapes (GitHub tokens, AWS
// keys, private key blocks, Anthropic keys) and assignments of long random
// values to secret-sounding names. A finding names the file, the line and the
// kind of secret, never the value, so the report itself leaks nothing.

export interface SecretFinding {
  path: string;
  /** The line number in the new version of the file. */
  line: number;
  kind: string;
}

interface Rule {
  kind: string;
  pattern: RegExp;
  /** A further check on the match (for the generic rule: the value looks random). */
  accept?: (match: RegExpExecArray) => boolean;
}

const RULES: Rule[] = [
  { kind: "GitHub token", pattern: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}/ },
  { kind: "GitHub fine-grained token", pattern: /\bgithub_pat_[A-Za-z0-9_]{22,}/ },
  { kind: "Anthropic API key", pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/ },
  { kind: "AWS access key id", pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/ },
  {
    kind: "AWS secret access key",
    pattern: /aws_?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/i,
  },
  {
    kind: "private key",
    pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/,
  },
  {
    kind: "high-entropy value assigned to a secret name",
    pattern:
      /(?:secret|token|passw(?:or)?d|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth[_-]?key)[A-Za-z0-9_-]*["']?\s*(?::=|=>|[:=])\s*["'`]([^"'`\s]{16,})["'`]/i,
    accept: (match) => looksRandom(match[1] ?? ""),
  },
];

/** Findings in the lines a unified diff (`git diff`, any context) adds. */
export function scanDiff(diff: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  let path: string | null = null;
  let line = 0;
  // Between `diff --git` and the first hunk: where `+++ b/path` names the file.
  let header = false;
  for (const text of diff.split("\n")) {
    if (text.startsWith("diff --git ")) {
      [path, header] = [null, true];
      continue;
    }
    if (header && text.startsWith("+++ ")) {
      path = newPath(text.slice(4));
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (hunk) {
      [line, header] = [Number(hunk[1]), false];
      continue;
    }
    if (path === null || header) continue;
    if (text.startsWith("+")) {
      for (const kind of scanLine(text.slice(1))) findings.push({ path, line, kind });
      line++;
    } else if (text.startsWith(" ")) {
      line++;
    }
  }
  return findings;
}

/** The kinds of secret one line holds (each kind once). */
export function scanLine(text: string): string[] {
  const kinds: string[] = [];
  for (const rule of RULES) {
    const match = rule.pattern.exec(text);
    if (match && (rule.accept?.(match) ?? true)) kinds.push(rule.kind);
  }
  return kinds;
}

/** The findings in words for the people reading the issue: where and what, never the value. */
export function describeFindings(findings: SecretFinding[], limit = 10): string {
  const shown = findings
    .slice(0, limit)
    .map((f) => `${ruleName(f.kind)} in \`${f.path}\` line ${f.line}`);
  const more = findings.length - shown.length;
  return shown.join("; ") + (more > 0 ? `; and ${more} more` : "");
}

/** A rule's name for an issue comment: a secretlint rule id (`@secretlint/…`) as code, not a mention. */
export function ruleName(kind: string): string {
  return kind.startsWith("@") ? `\`${kind}\`` : kind;
}

/**
 * A value worth reporting: long, several character classes, and about as random per character
 * as a key (placeholders, words and references to variables are not).
 */
function looksRandom(value: string): boolean {
  if (/\$\{|\{\{|process\.env|<[^>]*>|^(?:x+|\*+|\.+)$/i.test(value)) return false;
  if (/example|changeme|placeholder|dummy|redacted|your[_-]/i.test(value)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((c) => c.test(value)).length;
  return classes >= 2 && entropy(value) >= 3.5;
}

/** Shannon entropy in bits per character. */
function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** `b/path` (or `"b/pa\"th"` when git quoted it) without the prefix; null for /dev/null. */
function newPath(raw: string): string | null {
  let path = raw.trimEnd();
  if (path === "/dev/null") return null;
  if (path.startsWith('"') && path.endsWith('"')) {
    path = path.slice(1, -1).replace(/\\(["\\])/g, "$1");
  }
  return path.startsWith("b/") ? path.slice(2) : path;
}
