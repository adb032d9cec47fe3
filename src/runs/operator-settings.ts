// Failures that are the operators' settings, not the work's: the GitHub App's key that does not
// parse or that GitHub does not accept, and model credentials the provider refuses. Work that
// meets one is kept, never marked done or failed: a delivery stays unhandled (it is handled at
// the next start, once the setting is fixed) and a run goes back to the queue. Each names the
// setting to fix. A full disk under STAMINA_DATA_DIR is one too: it passes once space is freed,
// so its run is tried again after the retry wait rather than the settings' ten minutes.
import { APIError } from "@anthropic-ai/sdk";
import { isDiskFull } from "../workspace/disk-room.ts";

export interface OperatorProblem {
  /** The setting to fix, as .env.example names it. */
  setting: string;
  /** What went wrong, in words for the operators' log (and a maintainer's issue). */
  problem: string;
  /** What the operators do, when it is not "fix the setting and restart Stamina". */
  remedy?: string;
  /** It clears without a restart (space freed): the run is tried again after the retry wait. */
  passing?: boolean;
}

/** GitHub's refusals of an App JWT: a key that is not the app's, an app id that is wrong. */
const JWT_REFUSALS =
  /A JSON web token could not be decoded|Integration not found|'Issuer' claim|'Expiration time' claim|'Issued at' claim/;

/** What crypto and WebCrypto say of a PEM that holds no usable key. */
const KEY_UNREADABLE =
  /Invalid keyData|DECODER routines|PEM routines|asn1|secretOrPrivateKey|invalid private key|unsupported key/i;

/**
 * The operators' problem behind `error` (its causes and, for Probot's aggregate, each error),
 * or null. `modelCredentials` names the model's credential settings for this provider.
 */
export function operatorProblem(
  error: unknown,
  modelCredentials = "ANTHROPIC_API_KEY",
): OperatorProblem | null {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.size < 20) {
    const e = queue.shift();
    if (!(e instanceof Error) || seen.has(e)) continue;
    seen.add(e);
    const found = describe(e, modelCredentials);
    if (found !== null) return found;
    if (e instanceof AggregateError) queue.push(...(e.errors as unknown[]));
    queue.push((e as { cause?: unknown }).cause);
  }
  return null;
}

function describe(e: Error, modelCredentials: string): OperatorProblem | null {
  if (isDiskFull(e)) {
    return {
      setting: "STAMINA_DATA_DIR",
      problem: `the disk under STAMINA_DATA_DIR is full (${firstLine(e.message)}); the step that ran on it is not kept`,
      remedy:
        "free space on the disk under STAMINA_DATA_DIR (or point STAMINA_DATA_DIR at a larger one)",
      passing: true,
    };
  }
  if (e instanceof APIError) {
    if (e.status === 401 || e.status === 403) {
      return {
        setting: modelCredentials,
        problem: `the model's API refused Stamina's credentials (${e.status}); check ${modelCredentials}`,
      };
    }
    return null;
  }
  const status = (e as { status?: unknown }).status;
  if (status === 401 && JWT_REFUSALS.test(e.message)) {
    return {
      setting: "APP_ID and PRIVATE_KEY",
      problem: `GitHub refused the app's credentials (401: ${firstLine(e.message)}); APP_ID must be the app's id and PRIVATE_KEY one of its current private keys`,
    };
  }
  if (status === undefined && KEY_UNREADABLE.test(e.message)) {
    return {
      setting: "PRIVATE_KEY",
      problem: `the GitHub App's private key cannot be read (${firstLine(e.message)}); set PRIVATE_KEY (or PRIVATE_KEY_PATH) to the .pem file GitHub gave for the app`,
    };
  }
  return null;
}

function firstLine(text: string): string {
  return (text.split("\n")[0] ?? "").slice(0, 200);
}
