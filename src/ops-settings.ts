// The operations port, read with the rest of the environment: STAMINA_METRICS_PORT, where a
// process answers /healthz and /readyz (and its metrics) apart from the webhook server.
import { z } from "zod";

/** The variables, merged into the settings' environment schema. */
export const opsEnv = {
  STAMINA_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
};

export interface OpsSettings {
  /**
   * STAMINA_METRICS_PORT as set (0: any free port), or undefined: then `stamina worker` takes
   * DEFAULT_WORKER_OPS_PORT and `serve` and `all` open none (they answer on PORT).
   */
  metricsPort: number | undefined;
}

/** Where a worker alone answers when STAMINA_METRICS_PORT is unset: Prometheus' usual exporter port. */
export const DEFAULT_WORKER_OPS_PORT = 9464;

export function readOpsSettings(e: z.output<z.ZodObject<typeof opsEnv>>): OpsSettings {
  return { metricsPort: e.STAMINA_METRICS_PORT };
}
