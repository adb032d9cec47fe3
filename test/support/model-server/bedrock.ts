// A fake Amazon Bedrock runtime on loopback: `POST /model/{id}/invoke-with-response-stream` (or
// `/invoke`), signed with AWS Signature Version 4 (or a Bedrock API key as a bearer token), the
// body with `anthropic_version` and without `model` or `stream`, and the answer in AWS's binary
// event-stream framing, each Messages API event base64-encoded in a `chunk`. It refuses what
// Bedrock refuses: another path, a model id it does not serve, a missing, wrong or stale
// signature, the model or `stream` in the body, a missing or unknown version.
import type { ServerResponse } from "node:http";
import { startScriptedServer } from "./engine.ts";
import type { Answer, Dialect, ModelServer, Route } from "./engine.ts";
import { chunkFrame, exceptionFrame } from "./event-stream.ts";
import type { AnsweredMessage } from "./message.ts";
import { bodyBetas, isProviderBody, withPathModel } from "./provider-body.ts";
import type { Refusal } from "./refusal.ts";
import { isRefusal } from "./refusal.ts";
import type { ScriptedTurn } from "./script.ts";
import type { AwsCredentials } from "./sigv4.ts";
import { checkSigV4 } from "./sigv4.ts";
import { streamEvents } from "./sse.ts";

export interface BedrockServerOptions {
  region: string;
  /** Keys whose SigV4 signature is accepted. */
  credentials?: AwsCredentials;
  /** A Bedrock API key accepted as `Authorization: Bearer`. */
  bearerToken?: string;
  /** Model ids (or inference profiles) served here, e.g. `global.anthropic.claude-sonnet-5-5`. */
  models: readonly string[];
  /** What the signature's date is checked against; the real time by default. */
  now?: () => Date;
}

/** Bedrock's own version and the API versions the SDK sends in the body. */
const BEDROCK_VERSIONS = ["bedrock-2023-05-31", "2023-06-01", "2026-10-21"];

const PATH = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream)$/;

function exception(status: number, type: string, message: string): Refusal {
  return { status, type, message };
}

const malformed = (detail: string) =>
  exception(
    400,
    "ValidationException",
    `Malformed input request: #: ${detail}, please reformat your input and try again.`,
  );

/** Bedrock names its errors after exceptions; refusals written in the API's words get one. */
function exceptionName(refusal: Refusal): string {
  if (/^[A-Z]\w*Exception$/.test(refusal.type)) return refusal.type;
  if (refusal.status === 400) return "ValidationException";
  if (refusal.status === 403) return "AccessDeniedException";
  if (refusal.status === 404) return "ResourceNotFoundException";
  if (refusal.status === 429) return "ThrottlingException";
  if (refusal.status === 503) return "ServiceUnavailableException";
  return "InternalServerException";
}

function writeEventStream(res: ServerResponse, message: AnsweredMessage, answer: Answer): void {
  res.writeHead(200, {
    "content-type": "application/vnd.amazon.eventstream",
    "x-amzn-bedrock-content-type": "application/json",
    "x-amzn-requestid": answer.requestId,
  });
  const events = streamEvents(message, answer.rawToolInput).filter((e) => e.type !== "ping");
  const cut = answer.breakAfter;
  for (const event of cut ? events.slice(0, cut.events) : events) {
    // Bedrock adds its invocation metrics to the last event.
    const sent =
      event.type === "message_stop"
        ? {
            ...event,
            "amazon-bedrock-invocationMetrics": {
              inputTokenCount: message.usage.input_tokens,
              outputTokenCount: message.usage.output_tokens,
              invocationLatency: 1,
              firstByteLatency: 1,
            },
          }
        : event;
    res.write(chunkFrame(sent));
  }
  if (cut === undefined) return void res.end();
  if (cut.stall === true) return;
  if (cut.error !== undefined) {
    res.write(exceptionFrame(cut.error.type, cut.error.message));
    return void res.end();
  }
  res.socket?.end();
}

function bedrockDialect(opts: BedrockServerOptions): Dialect {
  return {
    basePath: "",
    route(call): Route | Refusal {
      const m = PATH.exec(call.path.split("?")[0] ?? "");
      if (call.method !== "POST" || !m) return exception(404, "UnknownOperationException", "");
      return { model: decodeURIComponent(m[1]!), stream: m[2] === "invoke-with-response-stream" };
    },
    authenticate(call) {
      const bearer = /^Bearer (\S+)$/.exec(call.headers.authorization ?? "");
      if (bearer) {
        return bearer[1] === opts.bearerToken
          ? undefined
          : exception(
              403,
              "AccessDeniedException",
              "Invalid API Key format: Must start with pre-defined prefix",
            );
      }
      if (opts.credentials === undefined) {
        return exception(
          403,
          "AccessDeniedException",
          "Authentication failed: Please make sure your API Key is valid.",
        );
      }
      return checkSigV4(call, {
        region: opts.region,
        service: "bedrock",
        credentials: opts.credentials,
        now: opts.now?.() ?? new Date(),
      });
    },
    unwrap(body, route) {
      if (!opts.models.includes(route.model!)) {
        return exception(400, "ValidationException", "The provided model identifier is invalid.");
      }
      for (const key of ["model", "stream"]) {
        if (key in body) return malformed(`extraneous key [${key}] is not permitted`);
      }
      const betas = bodyBetas(body.anthropic_beta, (m) => exception(400, "ValidationException", m));
      if (isRefusal(betas)) return betas;
      const split = withPathModel(body, route.model!, BEDROCK_VERSIONS, ["anthropic_beta"]);
      if (isProviderBody(split)) return { params: split.params, betas: betas };
      return "missing" in split
        ? malformed("required key [anthropic_version] not found")
        : exception(400, "ValidationException", `invalid anthropic_version: ${split.unknown}`);
    },
    error(res, refusal, requestId) {
      const type = exceptionName(refusal);
      res.writeHead(refusal.status, {
        ...refusal.headers,
        "content-type": "application/json",
        "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
        "x-amzn-requestid": requestId,
      });
      res.end(refusal.body ?? JSON.stringify({ message: refusal.message }));
    },
    message(res, message, answer) {
      if (answer.stream) return writeEventStream(res, message, answer);
      res.writeHead(200, {
        "content-type": "application/json",
        "x-amzn-requestid": answer.requestId,
      });
      res.end(JSON.stringify(message));
    },
  };
}

export function startBedrockServer(
  script: ScriptedTurn[],
  opts: BedrockServerOptions,
): Promise<ModelServer> {
  return startScriptedServer(bedrockDialect(opts), script);
}
