// What the webhook ingress takes in, as the operator sets it (settings.ts reads the variables).
export interface WebhookSettings {
  /**
   * An event older than this, by its payload's own time (a comment's `created_at`), is recorded
   * and ignored, unless Stamina asked GitHub to send it again (STAMINA_WEBHOOK_MAX_AGE_MINUTES).
   */
  maxAgeMs: number;
  /**
   * A body past this is refused with no more than this read (STAMINA_WEBHOOK_MAX_KB). Default
   * 2048 KiB, measured (test/app/webhook-size.test.ts prints the figures): the worst event that
   * carries a person's text (a review comment, it and its pull request's body at GitHub's
   * 65,536 characters of `<`, which GitHub writes as `\u003c`) is 813 KB, and 1 MiB would hold
   * an installation event of only about 3,100 repositories with the longest names (2 MiB: about
   * 6,200). With 16 bodies read at once (maxReading), 32 MiB at worst.
   */
  maxBytes: number;
  /** Bodies read at once; past this a delivery is refused for load and asked for again later. */
  maxReading: number;
  /**
   * Deliveries refused for load that may await redelivery at once (the ids are unauthenticated,
   * so this bounds what a flood of forged ones can store); default 1000, not an operator setting.
   */
  maxPendingRedeliveries?: number;
}
