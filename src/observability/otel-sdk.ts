// The OpenTelemetry SDK, loaded by tracing.ts only when traces are sent: a tracer provider for
// service `stamina` whose spans go in batches over OTLP/HTTP (JSON bodies) to the endpoint the
// OTEL_EXPORTER_OTLP_* variables name, with the headers, timeout, compression and certificates
// they give. OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES add to the resource.
//
// The provider is not registered as the global one: Stamina's tracer is passed where spans are
// made, and the libraries that trace through the global API stay silent (the Anthropic SDK's
// own spans would count each call's tokens twice, and can carry the prompt). Only the context
// manager is global, so that a span started inside another, in any layer, is its child.
import { context, type Context, type Span } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";

export function startProvider(options: {
  serviceVersion: string;
  /** Told of every span as it starts, with its parent's context (to add attributes). */
  onStart: (span: Span, parent: Context) => void;
}): BasicTracerProvider {
  const resource = defaultResource()
    .merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: "stamina",
        [ATTR_SERVICE_VERSION]: options.serviceVersion,
      }),
    )
    // The operator's OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
    .merge(detectResources({ detectors: [envDetector] }));
  const stamp: SpanProcessor = {
    onStart: options.onStart,
    onEnd: () => undefined,
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [stamp, new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return provider;
}
