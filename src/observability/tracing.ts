// OpenTelemetry traces: a span per run, step, model call and tool call, sent over OTLP/HTTP to
// the endpoint OTEL_EXPORTER_OTLP_ENDPOINT names. Unset, traces are off and free: nothing but
// @opentelemetry/api is loaded, and every tracer is its no-op one; the SDK (otel-sdk.ts) is
// loaded only when an endpoint is set. Spans carry ids, names and counts, never what the run
// reads or writes (prompts, tool input and output, credentials).
import {
  context,
  createContextKey,
  diag,
  DiagLogLevel,
  ProxyTracerProvider,
  SpanStatusCode,
  type Attributes,
  type Context,
  type DiagLogger,
  type Span,
  type SpanKind,
  type Tracer,
} from "@opentelemetry/api";
import type { Logger } from "./logger.ts";
import { ATTR_ERROR_TYPE, ATTR_STAMINA_RUN_ID } from "./semconv.ts";

export type { Tracer };

/** A tracer that records nothing, whatever was registered: what every part uses when traces are off. */
export const NO_TRACER: Tracer = new ProxyTracerProvider().getTracer("stamina");

export interface Tracing {
  readonly tracer: Tracer;
  /** Where spans are sent; undefined when traces are off. */
  readonly endpoint: string | undefined;
  /** Sends the spans not sent yet and stops, the process's last step; never rejects. */
  shutdown(): Promise<void>;
}

/** A tracing variable whose value cannot be used, in words for the operator. */
export class TracingSettingError extends Error {}

/**
 * Where spans go, as the OTLP variables say (the exporter reads the same ones): the traces'
 * own endpoint, else `/v1/traces` under the general one; undefined when neither is set or
 * OTEL_SDK_DISABLED is true. Throws TracingSettingError on a value that is not an http(s) URL.
 */
export function traceEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  for (const name of ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]) {
    const value = env[name]?.trim();
    if (!value) continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      url = new URL("invalid:");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TracingSettingError(
        `${name} is not an http or https URL: set it to your OpenTelemetry collector's OTLP/HTTP address (such as http://127.0.0.1:4318), or unset it to send no traces`,
      );
    }
    const where = `${url.origin}${url.pathname}`;
    return name === "OTEL_EXPORTER_OTLP_ENDPOINT" ? `${where.replace(/\/$/, "")}/v1/traces` : where;
  }
  return undefined;
}

/**
 * The values of the exporter's headers (OTEL_EXPORTER_OTLP_HEADERS and its traces' own), as
 * given and decoded: a collector's API key is one, and joins the redactor's secrets.
 */
export function otlpHeaderSecrets(env: NodeJS.ProcessEnv): string[] {
  const values: string[] = [];
  for (const name of ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"]) {
    for (const pair of (env[name] ?? "").split(",")) {
      const at = pair.indexOf("=");
      const value = at < 0 ? "" : pair.slice(at + 1).trim();
      if (value === "") continue;
      values.push(value);
      try {
        values.push(decodeURIComponent(value));
      } catch {
        // Not percent-encoded: the value as given is the one sent.
      }
    }
  }
  return [...new Set(values)];
}

/**
 * Traces as the process environment asks (the SDK reads its OTEL_* variables there too): off,
 * the no-op tracer; on, the tracer of a provider for service `stamina` at `serviceVersion` (a
 * span started inside another is its child), whose export problems are logged at warn.
 */
export async function startTracing(options: {
  serviceVersion: string;
  log: Logger;
}): Promise<Tracing> {
  const endpoint = traceEndpoint(process.env);
  if (endpoint === undefined) {
    return { tracer: NO_TRACER, endpoint, shutdown: () => Promise.resolve() };
  }
  const { startProvider } = await import("./otel-sdk.ts");
  diag.setLogger(diagToLog(options.log, endpoint), DiagLogLevel.WARN);
  const provider = startProvider({ serviceVersion: options.serviceVersion, onStart: stampRunId });
  return {
    tracer: provider.getTracer("stamina", options.serviceVersion),
    endpoint,
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (error) {
        // A collector that does not answer must not keep the process from closing the store.
        options.log.warn({ err: error }, `traces: the last spans could not be sent to ${endpoint}`);
      } finally {
        // Set for this provider only: a later one (a test's) starts from nothing.
        context.disable();
        diag.disable();
      }
    },
  };
}

const RUN_ID = createContextKey("stamina.run.id");

/** The active context, with a run's id: every span started inside it carries the id. */
export function runContext(runId: string): Context {
  return context.active().setValue(RUN_ID, runId);
}

function stampRunId(span: Span, parent: Context): void {
  const runId = parent.getValue(RUN_ID);
  if (typeof runId === "string") span.setAttribute(ATTR_STAMINA_RUN_ID, runId);
}

/**
 * Runs `work` in a span that is the active one meanwhile (the spans `work` starts are its
 * children), in `options.context` when given, and ends it. A throw ends the span as failed
 * with its error's type, and goes on.
 */
export function withSpan<T>(
  tracer: Tracer,
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; context?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const { kind, attributes } = options;
  return tracer.startActiveSpan(
    name,
    { ...(kind === undefined ? {} : { kind }), ...(attributes ? { attributes } : {}) },
    options.context ?? context.active(),
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        markFailed(span, errorTypeOf(error));
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * A span's operation failed: status ERROR and `error.type`, a class of error. Never the
 * error's message, which can hold what the run read.
 */
export function markFailed(span: Span, errorType: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.setAttribute(ATTR_ERROR_TYPE, errorType);
}

/** The HTTP status an API error carries, else the error's class (`RunFailure`, `APIUserAbortError`). */
function errorTypeOf(error: unknown): string {
  const status = (error as { status?: unknown } | null | undefined)?.status;
  if (typeof status === "number") return String(status);
  if (error instanceof Error) return error.constructor.name;
  return "_OTHER";
}

/** The SDK's own problems (an export the collector refused, say), in the operators' log. */
function diagToLog(log: Logger, endpoint: string): DiagLogger {
  const say =
    (level: "warn" | "debug" | "trace") =>
    (message: string, ...args: unknown[]) => {
      const err = args.find((a) => a instanceof Error);
      log[level](err === undefined ? {} : { err }, `traces (${endpoint}): ${readable(message)}`);
    };
  return {
    error: say("warn"),
    warn: say("warn"),
    info: say("debug"),
    debug: say("debug"),
    verbose: say("trace"),
  };
}

/** The SDK reports a failed export as the error in JSON: its message is what a person needs. */
function readable(message: string): string {
  try {
    const parsed = JSON.parse(message) as { message?: unknown } | null;
    if (typeof parsed?.message === "string") return parsed.message;
  } catch {
    // Plain words already.
  }
  return message;
}
