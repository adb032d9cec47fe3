// Checks an audit log: every event's hash matches its content, each links to
// the one before, seq runs 1..n without gaps, one run throughout; and, given a
// head published earlier (a commit's `Stamina-Audit` trailer, the pull
// request), that the log still reaches it; given the audit key's public half,
// that the signatures hold and cover every event. The backbone of
// `stamina audit verify`.
import { hashEvent } from "./chain.ts";
import { checkSignature, signatureIn, SIGNED_EVENT, type AuditPublicKey } from "./signing.ts";
import { GENESIS_HASH, type AuditEvent } from "./types.ts";

export { parseJsonl, toJsonl, AuditLogParseError } from "./jsonl.ts";

export type VerifyResult =
  | {
      ok: true;
      count: number;
      /** The hash of the last event. */
      head: string;
      /** The seq of the event whose hash is the expected head, when one was given. */
      expectedHeadSeq?: number;
    }
  | {
      ok: false;
      /** The position (1-based, the seq it should have) where the chain first breaks. */
      seq: number;
      reason: string;
    };

export interface VerifyOptions {
  /**
   * A head published while the run went on. The log must contain it: a log cut
   * before it fails. Events after it are the log growing, as an append-only log
   * does (the commit comes before its push is recorded).
   */
  expectedHead?: string;
}

export function verifyChain(
  events: readonly AuditEvent[],
  options: VerifyOptions = {},
): VerifyResult {
  const first = events[0];
  if (first === undefined) return { ok: false, seq: 0, reason: "the log is empty" };
  let expectedHeadSeq: number | undefined;
  let prev: AuditEvent | undefined;
  for (const [index, event] of events.entries()) {
    const seq = index + 1;
    const broken = (reason: string) => ({ ok: false as const, seq, reason });
    if (event.run !== first.run) {
      return broken(
        `event ${seq} belongs to run ${event.run}, not ${first.run}: the log mixes runs`,
      );
    }
    if (event.seq !== seq) {
      return broken(misplaced(events, index));
    }
    if (hashEvent(event) !== event.hash) {
      return broken(`event ${seq}: hash does not match its content (edited?)`);
    }
    if (prev === undefined && event.prevHash !== GENESIS_HASH) {
      return broken(
        "event 1 does not start a chain (its prevHash is not the genesis hash): the log is missing its beginning",
      );
    }
    if (prev !== undefined && event.prevHash !== prev.hash) {
      return broken(
        `event ${seq}: prevHash does not match the hash of event ${prev.seq} (event ${prev.seq} replaced, or events reordered?)`,
      );
    }
    if (event.hash === options.expectedHead) expectedHeadSeq = seq;
    prev = event;
  }
  const last = prev ?? first;
  if (options.expectedHead !== undefined && expectedHeadSeq === undefined) {
    return {
      ok: false,
      seq: last.seq + 1,
      reason: `the log ends at event ${last.seq} (head ${last.hash}) without reaching the expected head ${options.expectedHead} (truncated?)`,
    };
  }
  return {
    ok: true,
    count: events.length,
    head: last.hash,
    ...(expectedHeadSeq !== undefined ? { expectedHeadSeq } : {}),
  };
}

/** Why the event at `index` carries the wrong seq, in words. */
function misplaced(events: readonly AuditEvent[], index: number): string {
  const expected = index + 1;
  const found = events[index]?.seq;
  if (found !== undefined && found < expected) {
    return `event ${found} appears again where event ${expected} should be (reordered or repeated?)`;
  }
  const later = events.slice(index + 1).some((e) => e.seq === expected);
  if (later) return `event ${found} comes before event ${expected} (reordered?)`;
  const where =
    index === 0 ? `starts at event ${found}` : `goes from event ${index} to event ${found}`;
  return `event ${expected} is missing: the log ${where} (removed?)`;
}

export type SignaturesResult =
  | {
      ok: true;
      /** How many signatures the log carries, each checked. */
      signatures: number;
      keyId: string;
    }
  | { ok: false; seq: number; reason: string };

/**
 * Checks the signatures of a log whose chain `verifyChain` accepted: each signature is the
 * key's, of a head earlier in the log, and the last event is the signature of the one before
 * it, so no event goes unsigned. A rewritten log (every hash recomputed) fails the first;
 * a log cut short fails the last.
 */
export function verifySignatures(
  events: readonly AuditEvent[],
  key: AuditPublicKey,
): SignaturesResult {
  const seqOf = new Map<string, number>();
  let signatures = 0;
  let lastSigned = 0;
  for (const event of events) {
    const found = signatureIn(event);
    if (found !== null) {
      const signedSeq = seqOf.get(found.head);
      const broken = (reason: string) => ({ ok: false as const, seq: event.seq, reason });
      if (signedSeq === undefined) {
        return broken(
          `event ${event.seq} signs head ${found.head}, which is no event before it: events were removed or replaced`,
        );
      }
      const check = checkSignature(key, found.head, found.signature);
      if (!check.ok && check.reason === "other-key") {
        return broken(
          `event ${event.seq} is signed with audit key ${check.keyId ?? "?"}, not with the key given (${key.keyId}): the log comes from a deployment with another audit key, or the key given is not the one this log was signed with`,
        );
      }
      if (!check.ok && check.reason === "malformed") {
        return broken(
          `event ${event.seq}: its signature is not of the form ed25519:KEY-ID:SIGNATURE (edited?)`,
        );
      }
      if (!check.ok) {
        return broken(
          `event ${event.seq}: the signature of the head at event ${signedSeq} does not match: the events up to event ${signedSeq} were changed after they were signed`,
        );
      }
      signatures += 1;
      lastSigned = Math.max(lastSigned, signedSeq);
      if (event.type === SIGNED_EVENT) lastSigned = event.seq;
    }
    seqOf.set(event.hash, event.seq);
  }
  const last = events.at(-1)?.seq ?? 0;
  if (signatures === 0) {
    return {
      ok: false,
      seq: 1,
      reason:
        "the log carries no signature: it was written without an audit key (STAMINA_AUDIT_KEY or STAMINA_AUDIT_KEY_PATH), or its signatures were removed",
    };
  }
  if (lastSigned < last) {
    return {
      ok: false,
      seq: lastSigned + 1,
      reason: `the log is signed up to event ${lastSigned} of ${last}: the events after it carry no signature. The log was cut short (and perhaps extended), or exported while the run was still going; a finished run's log ends with its signature`,
    };
  }
  return { ok: true, signatures, keyId: key.keyId };
}
