// The scripted model server for the Claude API: POST /v1/messages on loopback, with the API key
// and `anthropic-version` the API insists on, answered turn by turn from a script.
import { startScriptedServer } from "./engine.ts";
import type { Dialect, ModelServer, Route } from "./engine.ts";
import { checkHeaders, requestedBetas } from "./headers.ts";
import { errorBody } from "./refusal.ts";
import type { Refusal } from "./refusal.ts";
import type { ScriptedTurn } from "./script.ts";
import { writeSseAnswer } from "./sse.ts";

export type { ModelServer } from "./engine.ts";

export interface ModelServerOptions {
  /** When set, requests must present exactly this key. */
  apiKey?: string;
  /** Every model's context window, instead of its family's: a test that overflows it. */
  contextWindow?: number;
}

function anthropicDialect(opts: ModelServerOptions): Dialect {
  return {
    basePath: "",
    route(call): Route | Refusal {
      const path = call.path.split("?")[0];
      if (call.method === "POST" && path === "/v1/messages") return {};
      if (call.method === "POST" && path === "/v1/messages/count_tokens") {
        return { countTokens: true };
      }
      return { status: 404, type: "not_found_error", message: "Not Found" };
    },
    authenticate: (call) => checkHeaders(call.headers, opts.apiKey),
    unwrap: (body, _route, call) => ({ params: body, betas: requestedBetas(call.headers) }),
    error(res, refusal, requestId) {
      res.writeHead(refusal.status, {
        ...refusal.headers,
        "content-type": "application/json",
        "request-id": requestId,
      });
      res.end(refusal.body ?? errorBody(refusal.type, refusal.message, requestId));
    },
    message: (res, message, answer) =>
      writeSseAnswer(res, message, answer, { "request-id": answer.requestId }),
  };
}

export function startModelServer(
  script: ScriptedTurn[],
  opts: ModelServerOptions = {},
): Promise<ModelServer> {
  return startScriptedServer(anthropicDialect(opts), script, { contextWindow: opts.contextWindow });
}
