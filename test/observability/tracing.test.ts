// Traces are off and free unless an OTLP endpoint is set: which variables turn them on, that
// the SDK's modules are not even loaded when they are off (watched in a process of its own),
// and how a bad value and the exporter's credentials are handled at start.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { startTracingOrSay } from "../../src/cli/startup.ts";
import { createRedactor } from "../../src/observability/redact.ts";
import {
  otlpHeaderSecrets,
  startTracing,
  traceEndpoint,
  TracingSettingError,
  withSpan,
} from "../../src/observability/tracing.ts";
import { SettingsError } from "../../src/settings.ts";
import { startCollector } from "../support/otlp-collector.ts";

describe("the endpoint spans go to", () => {
  it("is /v1/traces under OTEL_EXPORTER_OTLP_ENDPOINT, or the traces' own endpoint as given", () => {
    expect(traceEndpoint({})).toBeUndefined();
    expect(traceEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBe(
      "http://collector:4318/v1/traces",
    );
    expect(traceEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example/otlp/" })).toBe(
      "https://otel.example/otlp/v1/traces",
    );
    expect(
      traceEndpoint({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces:4318/custom",
      }),
    ).toBe("http://traces:4318/custom");
  });

  it("is none when OTEL_SDK_DISABLED is true, whatever the endpoint", () => {
    expect(
      traceEndpoint({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_SDK_DISABLED: "TRUE",
      }),
    ).toBeUndefined();
  });

  it("never shows a password or a query the URL holds", () => {
    expect(
      traceEndpoint({
        OTEL_EXPORTER_OTLP_ENDPOINT: "https://me:hunter22secret@otel.example?key=k",
      }),
    ).toBe("https://otel.example/v1/traces");
  });

  it("refuses a value that is not an http(s) URL, naming the variable", () => {
    expect(() => traceEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317" })).toThrow(
      TracingSettingError,
    );
    expect(() => traceEndpoint({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "not a url" })).toThrow(
      /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is not an http or https URL: set it to your OpenTelemetry collector's OTLP\/HTTP address/,
    );
  });
});

describe("at start", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of Object.keys(process.env)) {
      if (name.startsWith("OTEL_") && saved[name] === undefined) delete process.env[name];
    }
  });

  it("stops on a bad endpoint with a settings error that names it", async () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = "grpc://collector:4317";
    const started = startTracingOrSay(pino({ level: "silent" }), createRedactor());
    await expect(started).rejects.toThrow(SettingsError);
    await expect(started).rejects.toThrow(/^OTEL_EXPORTER_OTLP_ENDPOINT is not an http/);
  });

  it("gives the exporter's header values to the redactor, as written and decoded", async () => {
    process.env.OTEL_EXPORTER_OTLP_HEADERS = "x-honeycomb-team=hc%2Bkey-0123456789,x-dataset=runs";
    expect(otlpHeaderSecrets(process.env)).toEqual([
      "hc%2Bkey-0123456789",
      "hc+key-0123456789",
      "runs",
    ]);
    const redactor = createRedactor();
    const tracing = await startTracingOrSay(pino({ level: "silent" }), redactor);
    expect(tracing.endpoint).toBeUndefined();
    expect(redactor.redact("key hc+key-0123456789 sent")).not.toContain("hc+key-0123456789");
    expect(redactor.redact("key hc%2Bkey-0123456789 sent")).not.toContain("0123456789");
  });
});

describe("a collector that does not answer", () => {
  afterEach(() => {
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_EXPORTER_OTLP_TIMEOUT;
  });

  it("is logged at warn, and the shutdown still ends, so the process closes the store", async () => {
    const gone = await startCollector();
    await gone.close();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = gone.url;
    // The exporter tries again until its timeout (10 s unless set): the exit waits that long.
    process.env.OTEL_EXPORTER_OTLP_TIMEOUT = "1000";
    const lines: Array<{ level: number; msg: string }> = [];
    const log = pino(
      { level: "debug" },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
          done();
        },
      }),
    );
    const tracing = await startTracing({ serviceVersion: "0.0.0", log });
    await withSpan(tracing.tracer, "step", {}, () => Promise.resolve());
    await expect(tracing.shutdown()).resolves.toBeUndefined();
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        msg: `traces: the last spans could not be sent to ${gone.url}/v1/traces`,
      }),
    ]);
  });
});

/**
 * The modules a fresh process loads to start tracing with `env`, as its module resolver saw
 * them (a resolve hook writes each URL to a file as it resolves), and what startTracing gave.
 */
function loadedBy(env: Record<string, string>): { urls: string[]; endpoint: string | null } {
  const dir = mkdtempSync(join(tmpdir(), "stamina-tracing-"));
  const file = join(dir, "resolved.txt");
  const hook = [
    `import { appendFileSync } from "node:fs";`,
    `let file;`,
    `export function initialize(data) { file = data.file; }`,
    `export async function resolve(specifier, context, next) {`,
    `  const resolved = await next(specifier, context);`,
    `  appendFileSync(file, resolved.url + "\\n");`,
    `  return resolved;`,
    `}`,
  ].join("\n");
  const tracing = pathToFileURL(resolve("src/observability/tracing.ts")).href;
  const probe = [
    `import { register } from "node:module";`,
    `register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hook)}), { data: { file: ${JSON.stringify(file)} } });`,
    `const { default: pino } = await import("pino");`,
    `const { startTracing, NO_TRACER } = await import(${JSON.stringify(tracing)});`,
    `const started = await startTracing({ serviceVersion: "0.0.0", log: pino({ level: "silent" }) });`,
    `const off = started.tracer === NO_TRACER;`,
    `await started.shutdown();`,
    `process.stdout.write(JSON.stringify({ endpoint: started.endpoint ?? null, off }));`,
  ].join("\n");
  try {
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", probe],
      {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dir, ...env },
        encoding: "utf8",
      },
    );
    const said = JSON.parse(out) as { endpoint: string | null; off: boolean };
    expect(said.off).toBe(said.endpoint === null);
    const urls = readFileSync(file, "utf8").split("\n").filter(Boolean);
    return { urls, endpoint: said.endpoint };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const otel = (urls: string[]) =>
  [...new Set(urls.map((u) => /node_modules\/@opentelemetry\/([^/]+)\//.exec(u)?.[1]))]
    .filter((name) => name !== undefined)
    .sort();

describe("with OTEL_EXPORTER_OTLP_ENDPOINT unset", () => {
  it("loads no module of the SDK, only the API, and hands out the no-op tracer", () => {
    const { urls, endpoint } = loadedBy({});
    expect(endpoint).toBeNull();
    expect(otel(urls)).toEqual(["api"]);
  });

  it("loads the SDK once it is set (the same watch, seeing it)", () => {
    const { urls, endpoint } = loadedBy({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" });
    expect(endpoint).toBe("http://127.0.0.1:9/v1/traces");
    expect(otel(urls)).toEqual(
      expect.arrayContaining([
        "api",
        "context-async-hooks",
        "exporter-trace-otlp-http",
        "resources",
        "sdk-trace-base",
      ]),
    );
  });
});
