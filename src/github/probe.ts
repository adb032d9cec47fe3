// Whether the GitHub App's settings work, checked once at start and by `stamina doctor`: the
// private key parses, GitHub accepts the app's JWT (`GET /app`), and GitHub's latest delivery
// was not refused for its signature (a webhook secret that differs from the app's). Each
// failure names the setting to change. No retries: a check answers within seconds.
import { createPrivateKey } from "node:crypto";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";

export type GitHubProbe =
  | { ok: true; detail: string }
  /** unreachable: no answer, or GitHub's own trouble (5xx, 429); not the settings' fault. */
  | { ok: false; setting: string; message: string; unreachable?: boolean };

export interface GitHubProbeOptions {
  appId: number;
  privateKey: string;
  baseUrl: string;
  timeoutMs?: number;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Why a PEM is not a private key Stamina can sign with, or null when it is one. */
function privateKeyProblem(pem: string): string | null {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== "rsa") {
      return `it is a ${key.asymmetricKeyType ?? "non-RSA"} key; GitHub Apps sign with RSA`;
    }
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function appClient(options: GitHubProbeOptions): Octokit {
  return new Octokit({
    baseUrl: options.baseUrl,
    userAgent: "stamina",
    log: quiet,
    request: { signal: AbortSignal.timeout(options.timeoutMs ?? 15_000) },
    authStrategy: createAppAuth,
    auth: { appId: options.appId, privateKey: options.privateKey },
  });
}

/** The key parses and GitHub knows the app by it. */
export async function probeGitHubApp(options: GitHubProbeOptions): Promise<GitHubProbe> {
  const keyProblem = privateKeyProblem(options.privateKey);
  if (keyProblem !== null) {
    return {
      ok: false,
      setting: "PRIVATE_KEY",
      message: `PRIVATE_KEY (or the file PRIVATE_KEY_PATH names) is not the app's private key: ${keyProblem}. Use the .pem file GitHub gave when the key was generated (the app's settings, "Private keys")`,
    };
  }
  try {
    const { data } = await appClient(options).request("GET /app");
    const name = data?.slug ?? data?.name ?? "the app";
    if (data?.id !== undefined && data.id !== options.appId) {
      return {
        ok: false,
        setting: "APP_ID",
        message: `APP_ID is ${options.appId} but the key belongs to app ${data.id} (${name})`,
      };
    }
    return {
      ok: true,
      detail: `${options.baseUrl} knows the key as app ${name} (id ${options.appId})`,
    };
  } catch (error) {
    return requestFailure(error, options.baseUrl);
  }
}

/** Whether GitHub's latest delivery reached Stamina and was refused for its signature. */
export async function probeWebhookSecret(options: GitHubProbeOptions): Promise<GitHubProbe> {
  let deliveries: Array<{ status_code: number; delivered_at: string; guid: string }>;
  try {
    const response = await appClient(options).request("GET /app/hook/deliveries", {
      per_page: 20,
    });
    deliveries = response.data;
  } catch (error) {
    const failed = requestFailure(error, options.baseUrl);
    return failed.ok ? failed : { ...failed, setting: "WEBHOOK_SECRET" };
  }
  // Newest first; 0 is a delivery that reached nothing, which says nothing of the secret.
  const latest = deliveries.find((d) => d.status_code !== 0);
  if (latest === undefined) {
    return { ok: true, detail: "set; GitHub has no delivery yet to judge it by" };
  }
  if (latest.status_code === 401) {
    return {
      ok: false,
      setting: "WEBHOOK_SECRET",
      message: `GitHub's latest delivery (${latest.guid}, ${latest.delivered_at}) was refused with 401, its signature not matching: WEBHOOK_SECRET must be the secret in the app's settings (General, "Webhook secret"); set the same value in both`,
    };
  }
  return {
    ok: true,
    detail: `set; GitHub's latest delivery was answered ${latest.status_code}`,
  };
}

function requestFailure(error: unknown, baseUrl: string): GitHubProbe {
  const { status, response } = error as { status?: unknown; response?: unknown };
  const message = error instanceof Error ? error.message : String(error);
  if (response === undefined || response === null) {
    // No answer at all: Octokit reports it as a 500 with the network error as its cause.
    const cause = (error as { cause?: { code?: unknown; cause?: { code?: unknown } } }).cause;
    const code = cause?.code ?? cause?.cause?.code;
    return {
      ok: false,
      setting: "GHE_HOST",
      unreachable: true,
      message: `${baseUrl} cannot be reached (${typeof code === "string" ? code : message}): check GHE_HOST (unset for github.com) and that this machine reaches it`,
    };
  }
  if (status === 401 || status === 403 || status === 404) {
    return {
      ok: false,
      setting: "APP_ID and PRIVATE_KEY",
      message: `${baseUrl} refused the app's credentials (${String(status)}: ${message}): APP_ID must be the app's id and PRIVATE_KEY one of its current private keys`,
    };
  }
  return {
    ok: false,
    setting: "GHE_HOST",
    unreachable: status === 429 || (typeof status === "number" && status >= 500) ? true : undefined,
    message: `${baseUrl} answered ${String(status)} (${message}); GitHub may be having trouble, try again shortly`,
  };
}
