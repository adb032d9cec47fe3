// Sends a model call again while the model is overloaded, rate limited or unreachable, for as
// long as the configured window allows (minutes, if need be), waiting what the server asks or
// an exponential backoff with jitter. The clock and the sleep are injected, so a test can ride
// out a five-minute storm in no real time.
import { APIUserAbortError } from "@anthropic-ai/sdk";
import { setTimeout as delay } from "node:timers/promises";
import type { ModelRetry } from "./types.ts";
import { classifyError } from "./retry-classify.ts";

export interface RetryClock {
  now(): number;
  /** Resolves after `ms`; rejects when the signal aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface RetryPolicy {
  /** How long one call may go on retrying, counted from its first attempt. */
  windowMs: number;
  /** At most this many retries, whatever the window says; unlimited when undefined. */
  maxRetries?: number;
  /** The first backoff; each later one doubles, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  clock: RetryClock;
  /** In [0, 1); the jitter's source. */
  random: () => number;
}

const DEFAULT_RETRY_WINDOW_MS = 15 * 60_000;

const systemClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }),
};

/** The defaults, with each override that is set (an undefined one keeps its default). */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const set = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return {
    windowMs: DEFAULT_RETRY_WINDOW_MS,
    baseDelayMs: 1_000,
    maxDelayMs: 60_000,
    clock: systemClock,
    random: Math.random,
    ...set,
  };
}

/** Exponential backoff with jitter: somewhere in the upper half of base·2^(retry-1), capped. */
function backoffMs(retry: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling * (0.5 + policy.random() * 0.5));
}

/**
 * Runs `attempt` until it succeeds, a failure is not worth retrying, the signal aborts, or the
 * window closes; then rethrows the last error exactly as the SDK raised it, so the caller can
 * tell an exhausted overload (an APIError or APIConnectionError) from anything else.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  onRetry?: (retry: ModelRetry) => void | Promise<void>,
): Promise<T> {
  const { clock } = policy;
  const started = clock.now();
  for (let retry = 1; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      if (signal?.aborted) throw error;
      const now = clock.now();
      const verdict = classifyError(error, now);
      if (!verdict.retry || retry > (policy.maxRetries ?? Infinity)) throw error;
      const left = started + policy.windowMs - now;
      const asked = verdict.retryAfterMs;
      // A server that asks for longer than the window has left is not asked again.
      if (left <= 0 || (asked !== undefined && asked > left)) throw error;
      const waitMs = Math.min(asked ?? backoffMs(retry, policy), left);
      await onRetry?.({
        attempt: retry,
        status: verdict.status,
        errorType: verdict.errorType,
        message: error instanceof Error ? error.message : String(error),
        waitMs,
        elapsedMs: now - started,
      });
      await sleepUnlessAborted(clock, waitMs, signal);
    }
  }
}

/** The SDK's own abort error, as an abort during a request would raise. */
async function sleepUnlessAborted(
  clock: RetryClock,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal?.aborted) throw new APIUserAbortError();
  try {
    await clock.sleep(ms, signal);
  } catch (error) {
    if (signal?.aborted) throw new APIUserAbortError();
    throw error;
  }
  if (signal?.aborted) throw new APIUserAbortError();
}
