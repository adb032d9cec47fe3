// What a service checks and opens as it starts, before it takes any work: the start-up checks
// (the same as `stamina doctor`'s), traces, the store, the sandbox, and how a model's retry is
// logged.
// A problem that should stop the start is thrown as a SettingsError: one line, naming the
// setting, which main prints before it exits 78.
import { createSandbox, SandboxUnavailable, type Sandbox } from "../sandbox/sandbox.ts";
import { createRedactor, type Redactor } from "../observability/redact.ts";
import { modelSecrets } from "../model-settings.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import {
  databaseSecrets,
  SettingsError,
  sandboxOptions,
  type requireAppSettings,
  type Settings,
} from "../settings.ts";
import { openStore } from "../store/open.ts";
import type { Store } from "../store/store.ts";
import { databaseProblem } from "../store/probe.ts";
import { ENDPOINT_SETTINGS, type ProviderOptions } from "../model/providers.ts";
import type { ModelRetry } from "../model/types.ts";
import { checkLine, runChecks, type CheckName, type CheckResult } from "./doctor.ts";
import {
  otlpHeaderSecrets,
  startTracing,
  TracingSettingError,
  type Tracing,
} from "../observability/tracing.ts";
import { STAMINA_VERSION } from "../version.ts";

/** The checks each service runs at start; the sandbox's own probe runs where a worker starts. */
const STARTUP_CHECKS: Record<"all" | "serve" | "worker", CheckName[]> = {
  all: ["github-app", "webhook-secret", "model"],
  serve: ["github-app", "webhook-secret"],
  worker: ["github-app", "model"],
};

export const UNSIGNED_AUDIT =
  "audit logs are not signed: whoever can write the database could rewrite a run's log unnoticed. Sign them: `stamina audit key --generate audit-key.pem`, then set STAMINA_AUDIT_KEY_PATH=audit-key.pem (keep the file away from the database) and publish the public key that `stamina audit key` prints";

/**
 * Before any work is taken: the app's key authenticates, the secret is GitHub's, the model
 * answers. A service whose key GitHub refuses, and a worker whose model refuses its key, stop
 * here (one line naming the setting); `all` whose model refuses its key goes on serving, with
 * no worker. GitHub or a model that cannot be reached is logged at error, naming the setting
 * and the URL, and the process goes on.
 */
export async function checkAtStart(
  mode: "all" | "serve" | "worker",
  settings: Settings,
  secrets: ReturnType<typeof requireAppSettings>,
  log: Logger,
): Promise<{ modelFailed: CheckResult | undefined }> {
  const checks = await runChecks(settings, secrets, STARTUP_CHECKS[mode]);
  const level = { ok: "info", warn: "warn", fail: "error" } as const;
  for (const check of checks) {
    log[level[check.status]]({ check: check.name, setting: check.setting }, checkLine(check));
  }
  // A setting GitHub or the model refused stops the start; one they cannot be reached at is
  // logged and the process goes on (an outage must not stop a restart; runs retry meanwhile).
  const refused = (name: CheckName) =>
    checks.find((c) => c.name === name && c.status === "fail" && c.unreachable !== true);
  const fatal = refused("github-app") ?? (mode === "worker" ? refused("model") : undefined);
  if (fatal !== undefined) throw new SettingsError(fatal.text);
  const modelFailed = refused("model");
  if (modelFailed !== undefined) {
    log.error(
      { setting: modelFailed.setting },
      `no worker started, so no run will be claimed: ${modelFailed.text}`,
    );
  }
  return { modelFailed };
}

/** The store, opened and migrated; a database that does not answer stops start-up in one line. */
export async function openStoreOrSay(
  settings: Settings,
  redactor: ReturnType<typeof createRedactor>,
  log: Logger,
  metrics?: Metrics,
): Promise<Store> {
  try {
    return await openStore({
      database: settings.database,
      redactor,
      auditSigner: settings.auditKey?.signer,
      onIdleError: (err) => log.warn({ err }, "a database connection failed while idle"),
      onAudit: metrics?.audit,
    });
  } catch (error) {
    log.debug({ err: error }, "the database could not be opened");
    throw new SettingsError(databaseProblem(settings.database, error));
  }
}

/**
 * The sandbox the settings ask for. Where bubblewrap cannot start, a worker-only process stops
 * (the error says why and what to do); `all` goes on serving webhooks, with no worker to
 * claim runs, and says the same.
 */
export function openSandbox(
  settings: Settings,
  mode: "all" | "worker",
  log: Logger,
): Sandbox | undefined {
  let sandbox: Sandbox;
  const options = sandboxOptions(settings);
  try {
    sandbox = createSandbox(options);
  } catch (error) {
    if (!(error instanceof SandboxUnavailable) || mode === "worker") throw error;
    log.error(
      { reason: error.reason, remedy: error.remedy },
      `no worker started, so no run will be claimed: ${error.message}`,
    );
    return undefined;
  }
  if (sandbox.warning !== null) log.warn(sandbox.warning);
  const missing = (["memory", "processes"] as const).filter((l) => !sandbox.enforced.includes(l));
  log.info(
    { kind: sandbox.kind, enforced: sandbox.enforced, limits: sandbox.limits },
    missing.length > 0
      ? `sandbox: ${sandbox.kind}; no cgroup could be used, so the ${missing.join(" and ")} limits are not enforced`
      : `sandbox: ${sandbox.kind}, with every limit enforced`,
  );
  if (sandbox.kind === "bubblewrap") {
    const allow = options.egress?.allow ?? [];
    log.info(
      { registries: options.registries, operator: settings.network.allow },
      allow.length > 0
        ? `network: setup reaches ${allow.join(", ")} through the egress proxy, plus each repository's network.allow`
        : "network: no package registry was found on this machine and STAMINA_NETWORK_ALLOW is empty, so setup reaches only each repository's network.allow",
    );
  }
  return sandbox;
}

/**
 * A model call sent again, in the operators' log with the URL and the setting that names it:
 * the first retry of a call at warn (the audit log has each one), the rest at debug.
 */
export function logModelRetry(
  log: Logger,
  retry: ModelRetry,
  endpoint: string,
  provider: ProviderOptions,
): void {
  const what =
    retry.status === undefined
      ? `could not be reached (${retry.message})`
      : `answered ${retry.status}${retry.errorType ? ` ${retry.errorType}` : ""}`;
  const setting = ENDPOINT_SETTINGS[provider.provider];
  log[retry.attempt === 1 ? "warn" : "debug"](
    { endpoint, setting, attempt: retry.attempt, waitMs: retry.waitMs, elapsedMs: retry.elapsedMs },
    `the model at ${endpoint} ${what}; trying again in ${Math.ceil(retry.waitMs / 1000)} s, for up to STAMINA_MODEL_RETRY_MINUTES (check ${setting} if it lasts)`,
  );
}

/** The process's redactor, knowing every secret the settings hold (tokens join it as minted). */
export function processRedactor(
  settings: Settings,
  secrets: ReturnType<typeof requireAppSettings>,
): Redactor {
  return createRedactor([
    secrets.privateKey,
    secrets.webhookSecret,
    ...(secrets.anthropicApiKey === undefined ? [] : [secrets.anthropicApiKey]),
    ...modelSecrets(settings.model),
    ...(settings.auditKey === undefined ? [] : [settings.auditKey.pem]),
    ...databaseSecrets(settings.database),
    ...(settings.access.oauthClient === undefined ? [] : [settings.access.oauthClient.secret]),
  ]);
}

/**
 * Traces, as the OTEL_* variables ask (off unless an OTLP endpoint is set): a value that cannot
 * be used stops the start in one line naming it; where spans go is logged. The exporter's
 * headers (a collector's API key) join the redactor first. Its shutdown is the process's last
 * stop, after the worker handed its runs back, so their spans are sent.
 */
export async function startTracingOrSay(log: Logger, redactor: Redactor): Promise<Tracing> {
  for (const secret of otlpHeaderSecrets(process.env)) redactor.addSecret(secret);
  let tracing: Tracing;
  try {
    tracing = await startTracing({ serviceVersion: STAMINA_VERSION, log });
  } catch (error) {
    if (error instanceof TracingSettingError) throw new SettingsError(error.message);
    throw error;
  }
  if (tracing.endpoint !== undefined) {
    log.info(
      { endpoint: tracing.endpoint },
      `traces: a span per run, step, model call and tool call, sent to ${tracing.endpoint}`,
    );
  }
  return tracing;
}
