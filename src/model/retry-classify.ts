// Which failed model calls are worth sending again, and how long the server asked us to wait.
// The SDK's own retries are off (ours wait for minutes on an injected clock); this is the
// same judgement the SDK makes, widened to the errors a stream can end with.
import { APIConnectionError, APIError, APIUserAbortError } from "@anthropic-ai/sdk";

export interface RetryVerdict {
  retry: boolean;
  /** The HTTP status, when the server answered with one. */
  status: number | undefined;
  /** The API's error type (`overloaded_error`), or Bedrock's exception name for a stream error. */
  errorType: string | undefined;
  /** What `retry-after-ms` or `retry-after` asked for, when present and readable. */
  retryAfterMs: number | undefined;
}

/**
 * Error types that arrive inside a 200 stream (an SSE `error` event, or an exception frame of
 * Bedrock's event stream, which the Bedrock SDK turns into one): the server's trouble, not ours.
 */
const RETRYABLE_STREAM_ERRORS = new Set([
  "overloaded_error",
  "api_error",
  "rate_limit_error",
  "timeout_error",
  "throttlingException",
  "serviceUnavailableException",
  "internalServerException",
  "modelStreamErrorException",
  "modelTimeoutException",
]);

function retryableStatus(status: number): boolean {
  // 408 request timeout, 409 lock timeout, 429 rate limit, 5xx (529 overloaded among them).
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** `retry-after-ms` (milliseconds), else `retry-after` (seconds or an HTTP date); undefined when absent. */
function retryAfterMs(headers: Headers | undefined, now: number): number | undefined {
  const millis = headers?.get("retry-after-ms");
  if (millis) {
    const value = Number.parseFloat(millis);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headers?.get("retry-after");
  if (!after) return undefined;
  const seconds = Number(after.trim());
  if (after.trim() !== "" && Number.isFinite(seconds))
    return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function classifyError(error: unknown, now: number): RetryVerdict {
  const verdict: RetryVerdict = {
    retry: false,
    status: undefined,
    errorType: undefined,
    retryAfterMs: undefined,
  };
  if (!(error instanceof APIError) || error instanceof APIUserAbortError) return verdict;
  if (error instanceof APIConnectionError) return { ...verdict, retry: true };
  const { status, headers, type }: { status?: number; headers?: Headers; type: string | null } =
    error as APIError<number | undefined, Headers | undefined>;
  verdict.errorType = type ?? undefined;
  verdict.status = status;
  verdict.retryAfterMs = retryAfterMs(headers, now);
  if (status === undefined) return { ...verdict, retry: RETRYABLE_STREAM_ERRORS.has(type ?? "") };
  // The server may say outright whether to retry; the SDK obeys it, and so do we.
  const said = headers?.get("x-should-retry");
  if (said === "true" || said === "false") return { ...verdict, retry: said === "true" };
  return { ...verdict, retry: retryableStatus(status) };
}
