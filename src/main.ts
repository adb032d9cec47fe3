// Process entry and CLI: `stamina serve | worker | all | run | replay | audit | memory`.
// Reads the settings, wires the layers, handles signals.
import { Probot, ProbotOctokit, run as runProbotSetup } from "probot";
import { createRedactor } from "./observability/redact.ts";
import { createLogger, type Logger } from "./observability/logger.ts";
import {
  databaseSecrets,
  readSettings,
  requireAppSettings,
  sandboxOptions,
  SettingsError,
  type Settings,
} from "./settings.ts";
import { openStore } from "./store/open.ts";
import { createGitHubClients } from "./github/client.ts";
import { createGitHubPort } from "./github/port.ts";
import { createStaminaServer, listen } from "./app/server.ts";
import { replayUnhandled } from "./app/app.ts";
import { createRedelivery } from "./app/redeliver.ts";
import { startExpirySweep } from "./runs/expire-waiting.ts";
import { Worker } from "./runs/worker.ts";
import { executeRun } from "./runs/execute-run.ts";
import { createModel } from "./model/factory.ts";
import { CREDENTIAL_SETTINGS, ENDPOINT_SETTINGS, type ProviderOptions } from "./model/providers.ts";
import type { ModelRetry } from "./model/types.ts";
import { modelSecrets } from "./model-settings.ts";
import { createSandbox, SandboxUnavailable, type Sandbox } from "./sandbox/sandbox.ts";
import type { Store } from "./store/store.ts";
import { auditCommand } from "./cli/audit.ts";
import { memoryCommand } from "./cli/memory.ts";
import { replayCommand } from "./cli/replay/command.ts";
import { runCommand } from "./cli/run.ts";
import { helpFor, loadEnvFile, USAGE } from "./cli/entry.ts";
import {
  checkLine,
  doctorCommand,
  runChecks,
  type CheckName,
  type CheckResult,
} from "./cli/doctor.ts";
import { databaseProblem } from "./store/probe.ts";

async function main(argv: string[]): Promise<number> {
  const [command = "all", ...args] = argv;
  const help = helpFor(command, args);
  if (help !== undefined) {
    process.stdout.write(help);
    return 0;
  }
  switch (command) {
    case "all":
    case "serve":
    case "worker":
      if (args.length > 0) {
        process.stderr.write(
          `stamina ${command} takes no arguments (its settings come from the environment and .env): ${args.join(" ")}\n\n${helpFor(command, ["--help"])}`,
        );
        return 2;
      }
      loadEnvFile(command);
      return start(command);
    case "audit":
      loadEnvFile(command);
      return auditCommand(args, { out: process.stdout, err: process.stderr, env: process.env });
    case "doctor":
      loadEnvFile(command);
      return doctorCommand(args, { out: process.stdout, err: process.stderr, env: process.env });
    case "memory":
      loadEnvFile(command);
      return memoryCommand(args, { out: process.stdout, err: process.stderr, env: process.env });
    case "run":
    case "replay":
      loadEnvFile(command);
      return local(command, args);
    default:
      process.stderr.write(`unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

/** The checks each service runs at start; the sandbox's own probe runs where a worker starts. */
const STARTUP_CHECKS: Record<"all" | "serve" | "worker", CheckName[]> = {
  all: ["github-app", "webhook-secret", "model"],
  serve: ["github-app", "webhook-secret"],
  worker: ["github-app", "model"],
};

const UNSIGNED_AUDIT =
  "audit logs are not signed: whoever can write the database could rewrite a run's log unnoticed. Sign them: `stamina audit key --generate audit-key.pem`, then set STAMINA_AUDIT_KEY_PATH=audit-key.pem (keep the file away from the database) and publish the public key that `stamina audit key` prints";

async function start(mode: "all" | "serve" | "worker"): Promise<number> {
  const settings = readSettings();
  if (settings.appId === undefined && mode !== "worker") {
    // First start: Probot's setup page registers the app from app.yml and writes .env.
    process.env.NO_SMEE_SETUP ??= "true";
    await runProbotSetup(() => undefined);
    return new Promise<number>(() => undefined);
  }
  const secrets = requireAppSettings(settings);
  const redactor = createRedactor([
    secrets.privateKey,
    secrets.webhookSecret,
    ...(secrets.anthropicApiKey === undefined ? [] : [secrets.anthropicApiKey]),
    ...modelSecrets(settings.model),
    ...(settings.auditKey === undefined ? [] : [settings.auditKey.pem]),
    ...databaseSecrets(settings.database),
  ]);
  const log = createLogger({ level: settings.logLevel, redactor });
  if (settings.auditKey === undefined) log.warn(UNSIGNED_AUDIT);
  else log.info({ auditKey: settings.auditKey.signer.publicKey }, "audit logs are signed");
  const { modelFailed } = await checkAtStart(mode, settings, secrets, log);
  const store = await openStoreOrSay(settings, redactor, log);
  const clients = createGitHubClients({
    appId: secrets.appId,
    privateKey: secrets.privateKey,
    baseUrl: settings.githubApiUrl,
    log,
    throttle: settings.githubThrottle,
    // Each fresh token joins the redactor, so it can appear in no log line or audit event.
    onToken: (token) => redactor.addSecret(token),
  });
  const stops: Array<() => Promise<void>> = [];
  let worker: Worker | undefined;

  // A worker only where the sandbox starts: never one that runs commands with less isolation.
  const sandbox =
    mode === "serve" || modelFailed !== undefined ? undefined : openSandbox(settings, mode, log);
  if (mode !== "worker") {
    const probot = new Probot({
      appId: secrets.appId,
      privateKey: secrets.privateKey,
      secret: secrets.webhookSecret,
      baseUrl: settings.githubApiUrl,
      log: log.child({ name: "probot" }),
      Octokit: ProbotOctokit,
    });
    // Deliveries refused for load, asked of GitHub again; its last sweep ends before the store closes.
    const redelivery = createRedelivery({ store, request: clients.appRequest, log });
    const server = await createStaminaServer(probot, {
      store,
      clients,
      log,
      webhookSecret: secrets.webhookSecret,
      webhook: settings.webhook,
      redelivery,
      onRunQueued: () => worker?.wake(),
      onCancelRequested: () => worker?.wake(),
    });
    await replayUnhandled(probot, { store, log });
    const port = await listen(server, settings.port, settings.host).catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      throw new SettingsError(
        code === "EADDRINUSE"
          ? `PORT ${settings.port} on ${settings.host} is in use by another process: stop it, or set PORT (and HOST) to a free one`
          : `PORT ${settings.port} on HOST ${settings.host} cannot be listened on (${String(code ?? error)}): set PORT and HOST to an address of this machine`,
      );
    });
    log.info({ port, mode }, `Stamina is listening on http://${settings.host}:${port}`);
    redelivery.start();
    stops.unshift(() => redelivery.stop());
    stops.unshift(
      () =>
        new Promise((resolve) => {
          server.close(() => resolve());
          // Keep-alive connections would hold close() open; a request under way still finishes.
          server.closeIdleConnections();
        }),
    );
  }

  // The worker starts once the server listens: a port in use stops the process before it claims.
  if (sandbox !== undefined) {
    const started = startWorker(
      settings,
      sandbox,
      secrets.modelProvider,
      store,
      clients,
      redactor,
      log,
    );
    worker = started.worker;
    stops.push(async () => {
      started.stopSweep();
      await started.worker.stop(settings.shutdownGraceMs);
    });
  }
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, "shutting down");
      void (async () => {
        for (const stop of stops) await stop();
        await store.close();
        resolve(0);
      })();
    };
    process.once("SIGTERM", shutdown);
    process.once("SIGINT", shutdown);
  });
}

/**
 * Before any work is taken: the app's key authenticates, the secret is GitHub's, the model
 * answers. A service whose key GitHub refuses, and a worker whose model refuses its key, stop
 * here (one line naming the setting); `all` whose model refuses its key goes on serving, with
 * no worker. GitHub or a model that cannot be reached is logged at error, naming the setting
 * and the URL, and the process goes on.
 */
async function checkAtStart(
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
async function openStoreOrSay(
  settings: Settings,
  redactor: ReturnType<typeof createRedactor>,
  log: Logger,
): Promise<Store> {
  try {
    return await openStore({
      database: settings.database,
      redactor,
      auditSigner: settings.auditKey?.signer,
      onIdleError: (err) => log.warn({ err }, "a database connection failed while idle"),
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
function openSandbox(settings: Settings, mode: "all" | "worker", log: Logger): Sandbox | undefined {
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

function startWorker(
  settings: Settings,
  sandbox: Sandbox,
  modelProvider: ProviderOptions,
  store: Store,
  clients: ReturnType<typeof createGitHubClients>,
  redactor: ReturnType<typeof createRedactor>,
  log: Logger,
): { worker: Worker; stopSweep: () => void } {
  // Every token the clients mint (git's and each call's) joins the redactor through `onToken`.
  const github = createGitHubPort(clients, settings.githubGitUrl);
  const worker = new Worker({
    store,
    workerId: settings.workerId,
    concurrency: settings.workerConcurrency,
    limits: { global: settings.maxActiveRuns, perInstallation: settings.installationMaxRuns },
    leaseMs: settings.leaseMs,
    pollMs: settings.pollMs,
    log,
    execute: (run, signal, drain) =>
      executeRun(
        run,
        {
          store,
          github,
          sandbox,
          log,
          dataDir: settings.dataDir,
          workspaceMaxBytes: settings.workspaceMaxBytes,
          commandTimeoutMs: settings.commandTimeoutMs,
          maxTokens: settings.maxTokens,
          retry: { limit: settings.runRetries, baseMs: settings.retryBaseMs, maxMs: 30 * 60_000 },
          redactor,
          auditSigner: settings.auditKey?.signer,
          progressIntervalMs: settings.progressIntervalMs,
          modelCredentials: CREDENTIAL_SETTINGS[modelProvider.provider],
          onOperatorProblem: (problem) => worker.holdClaims(problem),
          createModel: (model) =>
            createModel({
              model,
              provider: modelProvider,
              modelIds: settings.model.modelIds,
              retry: { windowMs: settings.model.retryWindowMs },
              onRetry: (retry, endpoint) => logModelRetry(log, retry, endpoint, modelProvider),
            }),
        },
        signal,
        drain,
      ),
  });
  worker.start();
  const stopSweep = startExpirySweep({
    store,
    github,
    log,
    timeoutMs: settings.replyTimeoutMs,
    onCancelRequested: () => worker.wake(),
  });
  return { worker, stopSweep };
}

/**
 * A model call sent again, in the operators' log with the URL and the setting that names it:
 * the first retry of a call at warn (the audit log has each one), the rest at debug.
 */
function logModelRetry(
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

/** `run` and `replay`: one local session in the foreground; Ctrl-C stops it and says so. */
async function local(command: "run" | "replay", args: string[]): Promise<number> {
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  const io = {
    out: process.stdout,
    err: process.stderr,
    env: process.env,
    signal: controller.signal,
  };
  return command === "run" ? runCommand(args, io) : replayCommand(args, io);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof SettingsError || error instanceof SandboxUnavailable) {
      process.stderr.write(`stamina: ${error.message}\n`);
      process.exit(78);
    }
    process.stderr.write(
      `stamina: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
