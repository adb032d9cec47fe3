// The audit event every safety control writes when it stops something: a
// request refused by the egress proxy, a push refused by the guard, a change
// held for approval, tests weakened, a secret redacted or held, an approval
// that answers an older request. One type, `safety`, so an auditor (and the
// injection corpus) counts what was tried and what stopped it in one query.
import type { AuditEntry } from "./types.ts";

export const SAFETY_EVENT = "safety";

/** What a control did: `blocked` (nothing happened), `held` (waits for a person), `flagged`. */
export type SafetyOutcome = "blocked" | "held" | "flagged" | "redacted";

export interface SafetyData {
  /** The control that acted, dotted: `egress.proxy`, `push.guard`, `approval.policy`. */
  control: string;
  outcome: SafetyOutcome;
  /** What was tried and what stopped it, in a sentence a maintainer can act on. */
  detail: string;
  [key: string]: unknown;
}

export function safetyEvent(data: SafetyData): AuditEntry & { data: SafetyData } {
  return { type: SAFETY_EVENT, data };
}
