// Process entry and CLI: `stamina serve | worker | all | run | replay | audit | memory | config`.
// Reads the settings, wires the layers, handles signals.
import { Probot, ProbotOctokit } from "probot";
import type { createRedactor } from "./observability/redact.ts";
import { createLogger, type Logger } from "./observability/logger.ts";
import { createMetrics, type Metrics } from "./observability/metrics.ts";
import { readSettings, requireAppSettings, SettingsError, type Settings } from "./settings.ts";
import { createGitHubClients } from "./github/client.ts";
import { createGitHubPort } from "./github/port.ts";
import { createStaminaServer, listen } from "./app/server.ts";
import { replayUnhandled } from "./app/app.ts";
import { createRedelivery } from "./app/redeliver.ts";
import { openWebhookTunnel } from "./app/webhook-tunnel.ts";
import { startExpirySweep } from "./runs/expire-waiting.ts";
import { Worker } from "./runs/worker.ts";
import { executeRun } from "./runs/execute-run.ts";
import { createModel } from "./model/factory.ts";
import { CREDENTIAL_SETTINGS, type ProviderOptions } from "./model/providers.ts";
import { SandboxUnavailable, type Sandbox } from "./sandbox/sandbox.ts";
import type { Store } from "./store/store.ts";
import { auditCommand } from "./cli/audit.ts";
import { dbCommand } from "./cli/db.ts";
import { configCommand } from "./cli/config.ts";
import { memoryCommand } from "./cli/memory.ts";
import { replayCommand } from "./cli/replay/command.ts";
import { runCommand } from "./cli/run.ts";
import { helpFor, loadEnvFile, USAGE } from "./cli/entry.ts";
import { doctorCommand } from "./cli/doctor.ts";
import { setupMode } from "./cli/setup.ts";
import { serviceHealth } from "./cli/service-health.ts";
import { servicePages } from "./cli/service-pages.ts";
import {
  checkAtStart,
  logModelRetry,
  openSandbox,
  openStoreOrSay,
  processRedactor,
  startTracingOrSay,
  UNSIGNED_AUDIT,
} from "./cli/startup.ts";
import type { Tracer } from "./observability/tracing.ts";

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
    case "db":
      loadEnvFile(command);
      return dbCommand(args, { out: process.stdout, err: process.stderr, env: process.env });
    case "doctor":
      loadEnvFile(command);
      return doctorCommand(args, { out: process.stdout, err: process.stderr, env: process.env });
    case "memory":
      loadEnvFile(command);
      return memoryCommand(args, { out: process.stdout, err: process.stderr, env: process.env });
    case "config":
      return configCommand(args, {
        out: process.stdout,
        err: process.stderr,
        stdin: process.stdin,
        cwd: process.cwd(),
      });
    case "run":
    case "replay":
      loadEnvFile(command);
      return local(command, args);
    default:
      process.stderr.write(`unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

async function start(mode: "all" | "serve" | "worker"): Promise<number> {
  const settings = readSettings();
  // First start: the setup page registers the app from app.yml and writes its settings.
  if (settings.appId === undefined && mode !== "worker") return setupMode(settings);
  const secrets = requireAppSettings(settings);
  const redactor = processRedactor(settings, secrets);
  const log = createLogger({ level: settings.logLevel, redactor });
  if (settings.auditKey === undefined) log.warn(UNSIGNED_AUDIT);
  else log.info({ auditKey: settings.auditKey.signer.publicKey }, "audit logs are signed");
  const { modelFailed } = await checkAtStart(mode, settings, secrets, log);
  const metrics = createMetrics();
  const tracing = await startTracingOrSay(log, redactor);
  const store = await openStoreOrSay(settings, redactor, log, metrics);
  metrics.countRunsWith(() => store.runs.countActive());
  const clients = createGitHubClients({
    appId: secrets.appId,
    privateKey: secrets.privateKey,
    baseUrl: settings.githubApiUrl,
    log,
    throttle: settings.githubThrottle,
    metrics,
    // Each fresh token joins the redactor, so it can appear in no log line or audit event.
    onToken: (token) => redactor.addSecret(token),
  });
  const stops: Array<() => Promise<void>> = [];
  let worker: Worker | undefined;
  // A worker only where the sandbox starts: never one that runs commands with less isolation.
  const sandbox =
    mode === "serve" || modelFailed !== undefined ? undefined : openSandbox(settings, mode, log);
  const health = serviceHealth(
    { mode, settings, store, modelFailed, redactor, log, metrics },
    () => worker,
  );
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
    const pages = servicePages({ settings, store, log, secrets, redactor });
    const server = await createStaminaServer(probot, {
      store,
      clients,
      log,
      webhookSecret: secrets.webhookSecret,
      webhook: settings.webhook,
      redelivery,
      limits: settings.limits,
      publicUrl: settings.access.publicUrl,
      metrics,
      onRunQueued: () => worker?.wake(),
      onCancelRequested: () => worker?.wake(),
      routes: [...health.routes, pages],
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
    stops.unshift(() => Promise.resolve(pages.close())); // open live pages would hold close()
    // First to stop: no delivery comes through the tunnel to a server that is closing.
    const tunnel = openWebhookTunnel(settings.webhookProxyUrl, { host: settings.host, port, log });
    stops.unshift(() => tunnel.stop());
  }

  // The worker starts once the servers listen: a port in use stops the process before it claims.
  const closeHealth = await health.open();
  if (sandbox !== undefined) {
    const started = startWorker(
      settings,
      sandbox,
      secrets.modelProvider,
      store,
      clients,
      redactor,
      log,
      metrics,
      tracing.tracer,
    );
    worker = started.worker;
    stops.push(async () => {
      started.stopSweep();
      await started.worker.stop(settings.shutdownGraceMs);
    });
  }
  // Last, the traces: the spans of the runs the worker just handed back go out before the exit.
  stops.push(closeHealth, () => tracing.shutdown());
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

function startWorker(
  settings: Settings,
  sandbox: Sandbox,
  modelProvider: ProviderOptions,
  store: Store,
  clients: ReturnType<typeof createGitHubClients>,
  redactor: ReturnType<typeof createRedactor>,
  log: Logger,
  metrics: Metrics,
  tracer: Tracer,
): { worker: Worker; stopSweep: () => void } {
  // Every token the clients mint (git's and each call's) joins the redactor through `onToken`.
  const github = createGitHubPort(clients, settings.githubGitUrl);
  const worker = new Worker({
    store,
    metrics,
    workerId: settings.workerId,
    concurrency: settings.workerConcurrency,
    limits: { global: settings.maxActiveRuns, perInstallation: settings.installationMaxRuns },
    leaseMs: settings.leaseMs,
    pollMs: settings.pollMs,
    log,
    execute: (run, signal, drain, runLog) =>
      executeRun(
        run,
        {
          store,
          github,
          sandbox,
          log: runLog,
          tracer,
          dataDir: settings.dataDir,
          workspaceMaxBytes: settings.workspaceMaxBytes,
          commandTimeoutMs: settings.commandTimeoutMs,
          maxTokens: settings.maxTokens,
          retry: { limit: settings.runRetries, baseMs: settings.retryBaseMs, maxMs: 30 * 60_000 },
          redactor,
          auditSigner: settings.auditKey?.signer,
          progressIntervalMs: settings.progressIntervalMs,
          modelCredentials: CREDENTIAL_SETTINGS[modelProvider.provider],
          limits: settings.limits,
          publicUrl: settings.access.publicUrl,
          onOperatorProblem: (problem, ms) => worker.holdClaims(problem, ms),
          createModel: (model) =>
            createModel({
              model,
              provider: modelProvider,
              modelIds: settings.model.modelIds,
              retry: { windowMs: settings.model.retryWindowMs },
              tracer,
              onRetry: (retry, endpoint) => logModelRetry(runLog, retry, endpoint, modelProvider),
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
