// A service's health endpoints, wired: the readiness checks its mode needs (the database for
// every process; the sandbox and the worker where it runs one), the routes that answer
// /healthz and /readyz on the webhook server, and the operations port (STAMINA_METRICS_PORT),
// which a worker alone always opens, so the container's health check has somewhere to ask.
import type { Logger } from "../observability/logger.ts";
import { metricsHandler, type Metrics } from "../observability/metrics.ts";
import type { Redactor } from "../observability/redact.ts";
import { DEFAULT_WORKER_OPS_PORT } from "../ops-settings.ts";
import type { Worker } from "../runs/worker.ts";
import { SettingsError, type Settings } from "../settings.ts";
import type { Store } from "../store/store.ts";
import { healthRoutes, type Route } from "../web/health-routes.ts";
import { startOpsServer } from "../web/ops-server.ts";
import { createReadiness, type ReadinessCheck } from "../web/readiness.ts";
import { databaseCheck, sandboxCheck, workerCheck } from "../web/service-checks.ts";
import type { CheckResult } from "./doctor.ts";

export interface ServiceHealth {
  /** /healthz, /readyz and /metrics, for the webhook server's addHandler. */
  routes: Route[];
  /**
   * Opens the operations port where the mode has one (before the worker claims anything: a
   * port in use stops the start), and returns what closes it and stops the background checks:
   * call that after the worker stopped, so /readyz says it is shutting down meanwhile.
   */
  open(): Promise<() => Promise<void>>;
}

export function serviceHealth(
  options: {
    mode: "all" | "serve" | "worker";
    settings: Settings;
    store: Store;
    /** The model check that failed at start, which left `all` without a worker. */
    modelFailed: CheckResult | undefined;
    redactor: Redactor;
    log: Logger;
    /** The process's metrics, served at /metrics beside the health endpoints. */
    metrics?: Metrics;
  },
  /** The process's worker, once it starts. */
  worker: () => Worker | undefined,
): ServiceHealth {
  const { mode, settings, store, log } = options;
  const checks: ReadinessCheck[] = [databaseCheck(store, settings.database)];
  if (mode !== "serve") {
    const why = options.modelFailed
      ? `${options.modelFailed.text}; fix ${options.modelFailed.setting ?? "it"} and restart Stamina`
      : "the sandbox could not start (see the sandbox check); fix it and restart Stamina";
    checks.push(
      sandboxCheck(settings.sandbox),
      workerCheck(worker, `no worker was started, so no run is claimed: ${why}`),
    );
  }
  const readiness = createReadiness(checks);
  const routes: Route[] = [
    ...healthRoutes(readiness, (text) => options.redactor.redact(text)),
    ...(options.metrics ? [metricsHandler(options.metrics, settings.metricsToken)] : []),
  ];
  const port =
    settings.ops.metricsPort ?? (mode === "worker" ? DEFAULT_WORKER_OPS_PORT : undefined);
  return {
    routes,
    async open() {
      if (port === undefined) return () => Promise.resolve(readiness.stop());
      const setting =
        settings.ops.metricsPort === undefined
          ? `STAMINA_METRICS_PORT (unset: ${DEFAULT_WORKER_OPS_PORT} for a worker)`
          : "STAMINA_METRICS_PORT";
      const server = await startOpsServer(routes, port, settings.host, (err) =>
        log.error({ err }, "a health request failed"),
      ).catch((error: unknown) => {
        readiness.stop();
        const code = (error as { code?: unknown }).code;
        throw new SettingsError(
          code === "EADDRINUSE"
            ? `${setting}: port ${port} on ${settings.host} is in use by another process (another worker on this machine?): give each process its own STAMINA_METRICS_PORT, or 0 for any free port`
            : `${setting}: port ${port} on HOST ${settings.host} cannot be listened on (${String(code ?? error)}): set STAMINA_METRICS_PORT and HOST to an address of this machine`,
        );
      });
      log.info(
        { opsPort: server.port, mode },
        `health endpoints (/healthz, /readyz) and /metrics at http://${settings.host}:${server.port}`,
      );
      return async () => {
        await server.close();
        readiness.stop();
      };
    },
  };
}
