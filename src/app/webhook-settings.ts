// What the webhook ingress takes in, as the operator sets it (settings.ts reads the variables).
export interface WebhookSettings {
  /**
   * An event older than this, by its payload's own time (a comment's `created_at`), is recorded
   * and ignored, unless Stamina asked GitHub to send it again (STAMINA_WEBHOOK_MAX_AGE_MINUTES).
   */
  maxAgeMs: number;
  /** A body past this is refused unread (STAMINA_WEBHOOK_MAX_KB). */
  maxBytes: number;
  /** Bodies read at once; past this a delivery is refused for load and asked for again later. */
  maxReading: number;
}
