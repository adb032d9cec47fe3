// The shape of one audit event: the unit of the hash-chained, append-only log
// that every part of a run writes to and that `stamina audit verify` checks.

/** prevHash of the first event of every run. */
export const GENESIS_HASH = "0".repeat(64);

export interface AuditEvent {
  /** The run this event belongs to. */
  run: string;
  /** 1-based, unique and gapless within a run. */
  seq: number;
  /** ISO-8601 timestamp. */
  ts: string;
  /** Dotted event type, e.g. `model.response`, `tool.call`, `git.push`, `github.write`. */
  type: string;
  /** Already redacted: no secret ever reaches an event. */
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** What a writer supplies; seq, prevHash and hash are the chain's job. */
export interface AuditEntry {
  type: string;
  data: Record<string, unknown>;
}
