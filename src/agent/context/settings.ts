// The context manager's thresholds. Sizes are tokens as estimated from the request's bytes of
// JSON (four bytes a token), except `serverClearAt` and `serverCompactAt`, which the API counts.
export interface ContextSettings {
  /**
   * Use the model's server-side clearing and compaction where it has them, instead of clearing
   * in batches and compacting here.
   */
  serverSide: boolean;
  /** The last tool results every request carries whole (K). */
  keepToolResults: number;
  /** Client-side clearing waits until this many more results than K are due, then clears them at once. */
  clearBatch: number;
  /** Server-side clearing starts past this many input tokens. */
  serverClearAt: number;
  /** Server-side compaction starts past this many input tokens (the API's minimum is 50,000). */
  serverCompactAt: number;
  /** The view is compacted (a summary written by the model) past this many estimated tokens. */
  compactAt: number;
}

/**
 * The repository config's defaults (src/policy/config.ts): clearing and compaction here, on our
 * side, which keeps the prompt cache (server-side clearing rewrites it on every request past its
 * trigger); the server-side edits stay one setting away.
 */
export const DEFAULT_CONTEXT: ContextSettings = {
  serverSide: false,
  keepToolResults: 6,
  clearBatch: 10,
  serverClearAt: 20_000,
  serverCompactAt: 60_000,
  compactAt: 16_000,
};
