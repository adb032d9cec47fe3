// The REST router under /api/v3: OpenAPI route lookup (404 unknown, 501 unimplemented), GitHub's
// credential checks, request-body validation, then the handler.
import type { IncomingMessage } from "node:http";
import type { AppJwtVerifier, Credentials } from "./auth.ts";
import {
  type Exchange,
  HttpError,
  badCredentials,
  notFound,
  readBody,
  validationFailed,
} from "./http-io.ts";
import { ROUTE_NEEDS, requireAccess } from "./grants.ts";
import { loadOpenApi, matchRoute, validateBody } from "./openapi.ts";
import { deliveryRoutes } from "./deliveries.ts";
import { gitRoutes } from "./rest-git.ts";
import { appRoutes } from "./rest-app.ts";
import { checkRoutes } from "./rest-checks.ts";
import { issueRoutes } from "./rest-issues.ts";
import { labelRoutes } from "./rest-labels.ts";
import { manifestRoutes } from "./manifests.ts";
import { USER_ROUTES, userOfToken, userRoute } from "./oauth.ts";
import { pullRoutes } from "./rest-pulls.ts";
import { repoRoutes } from "./rest-repos.ts";
import { reviewRoutes } from "./reviews.ts";
import type { Reply, RouteDef, World } from "./route.ts";

export const API_PREFIX = "/api/v3";

const ROUTES: Record<string, RouteDef> = {
  ...appRoutes,
  ...manifestRoutes,
  ...deliveryRoutes,
  ...repoRoutes,
  ...gitRoutes,
  ...issueRoutes,
  ...pullRoutes,
  ...checkRoutes,
  ...labelRoutes,
  ...reviewRoutes,
};

/** The route keys the fake answers, for a test that checks each one exists in the description. */
export const implementedRoutes = (): string[] => [
  ...new Set([...Object.keys(ROUTES), ...Object.keys(USER_ROUTES)]),
];

export interface RestDeps {
  world: World;
  verifier: AppJwtVerifier;
}

export async function serveRest(
  deps: RestDeps,
  req: IncomingMessage,
  url: URL,
  credentials: Credentials,
  exchange: Exchange,
): Promise<void> {
  const method = req.method ?? "GET";
  const parsed = parseJson(await readBody(req));
  exchange.record.body = parsed.value;

  const api = await loadOpenApi();
  const match = matchRoute(api, method, url.pathname.slice(API_PREFIX.length) || "/");
  if (!match) throw notFound();
  // A person's token from signing in (oauth.ts) reads as that person, on the routes it knows.
  const login =
    credentials.kind === "token" ? userOfToken(deps.world.state, credentials.token) : undefined;
  if (login !== undefined) {
    send(exchange, userRoute(match.key)(deps.world, login, match.params));
    return;
  }
  const route = ROUTES[match.key];
  if (!route) throw new HttpError(501, { message: `fake GitHub does not implement ${match.key}` });
  if (!parsed.ok) throw new HttpError(400, { message: "Problems parsing JSON" });
  const body = parsed.value;

  const base = {
    world: deps.world,
    params: match.params,
    query: exchange.record.query,
    headers: req.headers,
    body: isRecord(body) ? body : {},
  };
  const validate = (): void => {
    const errors = validateBody(api, match.operation, body ?? {});
    if (errors.length > 0) throw validationFailed(errors);
  };

  let reply: Reply;
  if (route.auth === "none") {
    validate();
    reply = await route.handle(base);
  } else if (route.auth === "jwt") {
    if (credentials.kind !== "jwt")
      throw new HttpError(401, { message: "A JSON web token could not be decoded" });
    deps.verifier.verify(credentials.jwt);
    validate();
    reply = await route.handle(base);
  } else {
    const token =
      credentials.kind === "token" ? deps.world.state.liveToken(credentials.token) : undefined;
    if (!token) throw badCredentials();
    const repo = deps.world.state.repo(match.params.owner ?? "", match.params.repo ?? "");
    // A repo that is not there is an answer to a read, and a refusal of a write.
    if (!repo) {
      if (method === "GET") return exchange.json(404, notFound().body);
      throw notFound();
    }
    // GitHub hides repositories outside the token behind a 404, and refuses a permission it lacks.
    const need = ROUTE_NEEDS[match.key];
    if (!need) {
      throw new HttpError(500, { message: `fake GitHub declares no permission for ${match.key}` });
    }
    requireAccess(token, repo, need);
    validate();
    reply = await route.handle({ ...base, repo, installationId: token.installationId, token });
  }
  send(exchange, reply);
}

function send(exchange: Exchange, reply: Reply): void {
  if (reply.text) {
    const res = exchange.head(
      reply.status,
      { "content-type": "text/plain; charset=utf-8", ...reply.headers },
      false,
    );
    res.end(reply.text);
    return;
  }
  exchange.json(reply.status, reply.body, false, reply.headers);
}

function parseJson(raw: Buffer): { ok: boolean; value: unknown } {
  if (raw.length === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw.toString("utf8")) as unknown };
  } catch (error) {
    if (error instanceof SyntaxError) return { ok: false, value: raw.toString("utf8") };
    throw error;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
