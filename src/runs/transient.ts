// Which failures are not the agent's fault and are worth another attempt
// later: GitHub's server errors, an overloaded or unreachable model, and a
// network that failed under git. Each is described in words for the issue.
import { APIConnectionError, APIError, APIUserAbortError } from "@anthropic-ai/sdk";
import { GitError } from "../workspace/git-run.ts";

/** Git's own words for a network that failed or a server that answered with an error. */
const GIT_NETWORK = [
  /could not resolve host/i,
  /failed to connect/i,
  /connection (refused|reset|timed out)/i,
  /operation timed out/i,
  /the requested url returned error: 5\d\d/i,
  /rpc failed/i,
  /early eof/i,
  /unexpected disconnect/i,
  /remote end hung up/i,
  /gnutls|ssl_read|ssl_connect|tls/i,
  /timed out after \d+ s/i,
];

/**
 * Why `error` is transient, in words a maintainer reads ("GitHub answered 502"), or null when
 * another attempt would fail the same way. Looks through `cause` chains.
 */
export function transientCause(error: unknown): string | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const cause = describe(e);
    if (cause !== undefined) return cause;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

function describe(e: Error): string | null | undefined {
  if (e instanceof APIUserAbortError) return null;
  if (e instanceof APIConnectionError) return "the model's API could not be reached";
  if (e instanceof APIError) {
    const status: unknown = (e as { status?: unknown }).status;
    if (status === 529) return "the model was overloaded (529)";
    if (status === 429) return "the model's rate limit was reached (429)";
    if (typeof status === "number" && status >= 500) return `the model's API answered ${status}`;
    return null;
  }
  if (isOctokitError(e)) {
    if (e.status >= 500) {
      // Octokit reports a request that never got an answer as a 500 with the network error inside.
      return e.cause instanceof Error
        ? "GitHub could not be reached"
        : `GitHub answered ${e.status}`;
    }
    return null;
  }
  if (e instanceof GitError) {
    const text = `${e.message}\n${e.stderr}`;
    return GIT_NETWORK.some((p) => p.test(text))
      ? `git could not reach GitHub (${e.subcommand})`
      : null;
  }
  return undefined;
}

function isOctokitError(e: Error): e is Error & { status: number } {
  return e.name === "HttpError" && "status" in e && typeof e.status === "number";
}

export interface RetrySchedule {
  /** Retries allowed after the first attempt. */
  limit: number;
  /** The wait before the first retry; each next one doubles, up to `maxMs`. */
  baseMs: number;
  maxMs: number;
}

/** The wait before retry number `retry` (1-based), with up to 20 % jitter so runs spread out. */
export function retryDelayMs(
  schedule: RetrySchedule,
  retry: number,
  random: () => number = Math.random,
): number {
  const plain = Math.min(schedule.maxMs, schedule.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(plain * (1 + 0.2 * random()));
}
