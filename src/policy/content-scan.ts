// The secret scan of one file's bytes, as pushed (a blob, not its rendering in
// a diff): Stamina's own rules (secret-scan.ts) line by line, the maintained
// rule set of secretlint's recommended preset, and the run's own secrets in
// every form the redactor knows (`locate`). Binary content is scanned too: the
// bytes are read one character each (latin1), so a NUL stops nothing. A finding
// says where and which rule, never the value.
import { lintSource } from "@secretlint/core";
import { creator as recommended } from "@secretlint/secretlint-rule-preset-recommend";
import type { SecretMatch } from "../observability/redact.ts";
import { scanLine, type SecretFinding } from "./secret-scan.ts";

/** Finds the run's own secrets (the redactor's `locate`). */
export type LocateHeld = (text: string) => SecretMatch[];

const SECRETLINT_CONFIG = {
  rules: [{ id: "@secretlint/secretlint-rule-preset-recommend", rule: recommended }],
};

/** Every finding in one file's content, each (line, rule) once, in line order. */
export async function scanContent(
  path: string,
  content: Buffer,
  locate?: LocateHeld,
): Promise<SecretFinding[]> {
  const text = content.toString("latin1");
  const found: SecretFinding[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    for (const kind of scanLine(line)) found.push({ path, line: i + 1, kind });
  });
  for (const kind of await secretlint(path, text)) found.push({ path, ...kind });
  if (locate !== undefined) {
    const starts = lineStarts(text);
    for (const match of locate(text)) {
      found.push({ path, line: lineOf(starts, match.start), kind: `held secret (${match.form})` });
    }
  }
  return dedupe(found).sort((a, b) => a.line - b.line);
}

/** Findings once per path, line and rule. */
export function dedupe<T extends SecretFinding>(findings: T[]): T[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.path}\0${f.line}\0${f.kind}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** secretlint's findings: the rule id and the line, never its message (the masked value). */
async function secretlint(
  path: string,
  content: string,
): Promise<{ line: number; kind: string }[]> {
  const result = await lintSource({
    source: { filePath: `/${path}`, content, contentType: "text" },
    options: { config: SECRETLINT_CONFIG, maskSecrets: true },
  });
  return result.messages.map((m) => ({ line: m.loc.start.line, kind: m.ruleId }));
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) starts.push(at + 1);
  return starts;
}

/** The 1-based line holding offset `at`. */
function lineOf(starts: number[], at: number): number {
  let [low, high] = [0, starts.length - 1];
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if ((starts[mid] ?? 0) <= at) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}
