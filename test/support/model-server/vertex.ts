// A fake Vertex AI for Claude on loopback: `POST /v1/projects/{p}/locations/{l}/publishers/
// anthropic/models/{model}:streamRawPredict` (or `:rawPredict`) with a Google OAuth bearer
// token, `anthropic_version` in the body and no `model` there, answered as the Claude API
// answers (SSE). It refuses what Vertex refuses: another path, project or region, a model it
// does not serve, a missing or wrong token, the model in the body, a missing version.
import { startScriptedServer } from "./engine.ts";
import type { Dialect, ModelServer, Route } from "./engine.ts";
import { requestedBetas } from "./headers.ts";
import { isProviderBody, withPathModel } from "./provider-body.ts";
import type { Refusal } from "./refusal.ts";
import { errorBody, invalidRequest } from "./refusal.ts";
import type { ScriptedTurn } from "./script.ts";
import { writeSseAnswer } from "./sse.ts";

export interface VertexServerOptions {
  projectId: string;
  region: string;
  /** The OAuth access token requests must carry. */
  accessToken: string;
  /** Publisher model ids served here, e.g. `claude-sonnet-5-5`. */
  models: readonly string[];
}

/** The legacy Vertex version and the API versions the SDK sends in the body. */
const VERTEX_VERSIONS = ["vertex-2023-10-16", "2023-06-01", "2026-10-21"];

const PATH =
  /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/anthropic\/models\/([^/:]+):(streamRawPredict|rawPredict)$/;

/** Google's own error shape, for what Google's front end refuses before Claude sees it. */
function google(code: number, status: string, message: string): Refusal {
  return {
    status: code,
    type: status,
    message,
    body: JSON.stringify({ error: { code, message, status } }),
  };
}

function vertexDialect(opts: VertexServerOptions): Dialect {
  return {
    basePath: "/v1",
    route(call): Route | Refusal {
      const m = PATH.exec(call.path.split("?")[0] ?? "");
      if (call.method !== "POST" || !m) {
        return google(
          404,
          "NOT_FOUND",
          `The requested URL ${call.path} was not found on this server.`,
        );
      }
      const [, project, region, model, method] = m.map((part) => decodeURIComponent(part));
      const resource = `projects/${project}/locations/${region}/publishers/anthropic/models/${model}`;
      if (project !== opts.projectId) {
        return google(
          403,
          "PERMISSION_DENIED",
          `Permission 'aiplatform.endpoints.predict' denied on resource '//aiplatform.googleapis.com/${resource}' (or it may not exist).`,
        );
      }
      if (region !== opts.region || !opts.models.includes(model!)) {
        return google(404, "NOT_FOUND", `Publisher Model \`${resource}\` not found.`);
      }
      return { model, stream: method === "streamRawPredict" };
    },
    authenticate(call) {
      const match = /^Bearer (\S+)$/.exec(call.headers.authorization ?? "");
      if (!match) {
        return google(
          401,
          "UNAUTHENTICATED",
          "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        );
      }
      if (match[1] !== opts.accessToken) {
        return google(
          401,
          "UNAUTHENTICATED",
          "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        );
      }
      return undefined;
    },
    unwrap(body, route, call) {
      if ("model" in body) return invalidRequest("model: Extra inputs are not permitted");
      const split = withPathModel(body, route.model!, VERTEX_VERSIONS);
      if (isProviderBody(split))
        return { params: split.params, betas: requestedBetas(call.headers) };
      return "missing" in split
        ? invalidRequest("anthropic_version: Field required")
        : invalidRequest(`anthropic_version: Input should be one of ${VERTEX_VERSIONS.join(", ")}`);
    },
    error(res, refusal, requestId) {
      res.writeHead(refusal.status, { ...refusal.headers, "content-type": "application/json" });
      res.end(refusal.body ?? errorBody(refusal.type, refusal.message, requestId));
    },
    message: (res, message, answer) => writeSseAnswer(res, message, answer, {}),
  };
}

export function startVertexServer(
  script: ScriptedTurn[],
  opts: VertexServerOptions,
): Promise<ModelServer> {
  return startScriptedServer(vertexDialect(opts), script);
}
