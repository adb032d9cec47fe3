// The audit log as a file: one event per line (JSONL), the form of
// `stamina audit export` and the input of `stamina audit verify`. A file is
// untrusted input, so each line is validated where it enters.
import { z } from "zod";
import type { AuditEvent } from "./types.ts";

const hash = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex digits");

// Strict: a field the hash does not cover must not ride along unnoticed.
const auditEventSchema = z.strictObject({
  run: z.string().min(1),
  seq: z.number().int().positive(),
  ts: z.string().min(1),
  type: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
  prevHash: hash,
  hash,
});

/** A line of an audit log file that is not an audit event. */
export class AuditLogParseError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line} of the audit log ${reason}`);
    this.name = "AuditLogParseError";
  }
}

/** Parses JSONL; blank lines are skipped, and a bad line throws naming its line number. */
export function parseJsonl(text: string): AuditEvent[] {
  const events: AuditEvent[] = [];
  const lines = text.split("\n");
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line.length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new AuditLogParseError(index + 1, `is not valid JSON: ${reason}`);
    }
    const parsed = auditEventSchema.safeParse(value);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) =>
          `${issue.path.length > 0 ? issue.path.map(String).join(".") : "event"}: ${issue.message}`,
      );
      throw new AuditLogParseError(index + 1, `is not an audit event (${problems.join("; ")})`);
    }
    events.push(parsed.data);
  }
  return events;
}

/** One JSON object per line, fields in a fixed order, a newline after each. */
export function toJsonl(events: readonly AuditEvent[]): string {
  return events
    .map(
      ({ run, seq, ts, type, data, prevHash, hash }) =>
        JSON.stringify({ run, seq, ts, type, data, prevHash, hash }) + "\n",
    )
    .join("");
}
