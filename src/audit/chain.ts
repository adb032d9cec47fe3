// The hash chain: each event's hash covers its content and the hash of the
// event before it, so editing, dropping or reordering any event shows.
import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical-json.ts";
import { GENESIS_HASH, type AuditEntry, type AuditEvent } from "./types.ts";

/** sha256 (hex) of the canonical JSON of `{run, seq, ts, type, data, prevHash}`. */
export function hashEvent(e: Omit<AuditEvent, "hash">): string {
  const { run, seq, ts, type, data, prevHash } = e;
  return createHash("sha256")
    .update(canonicalJson({ run, seq, ts, type, data, prevHash }))
    .digest("hex");
}

/**
 * The event that follows `prev` (or starts the chain) in `run`. Its data is a
 * JSON copy of the entry's, so the event hashes the same once stored and read
 * back, and a later change to the caller's object cannot reach it.
 */
export function appendEvent(
  prev: AuditEvent | undefined,
  run: string,
  entry: AuditEntry,
  ts: string,
): AuditEvent {
  if (prev && prev.run !== run) {
    throw new Error(`audit event of run ${run} cannot follow an event of run ${prev.run}`);
  }
  const data = JSON.parse(canonicalJson(entry.data)) as Record<string, unknown>;
  const body = {
    run,
    seq: prev ? prev.seq + 1 : 1,
    ts,
    type: entry.type,
    data,
    prevHash: prev ? prev.hash : GENESIS_HASH,
  };
  return { ...body, hash: hashEvent(body) };
}
