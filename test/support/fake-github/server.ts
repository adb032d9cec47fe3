// The HTTP server: records every request, sends it to REST (/api/v3), GraphQL (/api/graphql) or
// git smart HTTP, and turns refusals and failures into GitHub-shaped answers.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { parseAuthorization } from "./auth.ts";
import { type GitHttpDeps, isGitPath, serveGit } from "./git-http.ts";
import type { GraphQLEndpoint } from "./graphql.ts";
import { Exchange, HttpError, badCredentials, notFound, queryRecord, readBody } from "./http-io.ts";
import { isOAuthPath, serveOAuth } from "./oauth.ts";
import { API_PREFIX, type RestDeps, serveRest } from "./rest.ts";
import type { RecordedRequest } from "./types.ts";

/** An answer the server gives in place of the real one, the next `remaining` times. */
export interface Fault {
  method: string;
  path: RegExp;
  remaining: number;
  /** The answer given instead of the real one; or, with `before`, none: the real one follows. */
  error?: HttpError;
  /** Done before the request is answered as usual (a person pushing meanwhile, say). */
  before?: () => Promise<void>;
  /**
   * No answer at all: the body is read, then after `afterMs` the connection is destroyed (0: a
   * connection reset; longer: a request that timed out at a proxy and was cut).
   */
  drop?: { afterMs: number };
}

export interface ServerDeps {
  faults: Fault[];
  rest: RestDeps;
  git: GitHttpDeps;
  graphql: GraphQLEndpoint;
  requests: RecordedRequest[];
  refusals: RecordedRequest[];
}

export function listenFakeServer(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        reject(new Error("fake GitHub server has no TCP address"));
        return;
      }
      resolve({ server, port: address.port });
    });
  });
}

export function attachHandler(server: Server, deps: ServerDeps): void {
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    handle(deps, req, res).catch((error: unknown) => {
      process.stderr.write(
        `fake GitHub could not answer ${req.method} ${req.url}: ${String(error)}\n`,
      );
      res.destroy(error instanceof Error ? error : undefined);
    });
  });
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const credentials = parseAuthorization(req.headers.authorization);
  const record: RecordedRequest = {
    method: req.method ?? "GET",
    path: url.pathname,
    query: queryRecord(url.searchParams),
    body: undefined,
    status: 0,
    authorization: credentials.kind,
  };
  deps.requests.push(record);
  const exchange = new Exchange(record, deps.refusals, res, deps.rest.world.state.now);
  try {
    const fault = deps.faults.find(
      (f) => f.remaining > 0 && f.method === record.method && f.path.test(url.pathname),
    );
    if (fault) {
      fault.remaining -= 1;
      if (fault.before) await fault.before();
      if (fault.error) {
        await readBody(req);
        throw fault.error;
      }
      if (fault.drop) {
        await readBody(req);
        await new Promise((resolve) => setTimeout(resolve, fault.drop?.afterMs ?? 0));
        res.destroy();
        return;
      }
    }
    if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) {
      await serveRest(deps.rest, req, url, credentials, exchange);
    } else if (url.pathname === "/api/graphql" && req.method === "POST") {
      const body = parseBody(await readBody(req));
      record.body = body;
      const token =
        credentials.kind === "token"
          ? deps.rest.world.state.liveToken(credentials.token)
          : undefined;
      if (!token) throw badCredentials();
      const answer = await deps.graphql.answer(body, {
        installationId: token.installationId,
        token,
      });
      exchange.json(200, answer.body, answer.refused);
    } else if (isOAuthPath(url.pathname)) {
      await serveOAuth(deps.rest.world.state, req, url, exchange);
    } else if (isGitPath(url.pathname)) {
      await serveGit(deps.git, req, url, credentials, exchange, record);
    } else {
      throw notFound();
    }
  } catch (error) {
    if (exchange.sent) throw error;
    if (error instanceof HttpError) {
      exchange.refuse(error);
      return;
    }
    process.stderr.write(
      `fake GitHub failed on ${record.method} ${record.path}: ${String(error)}\n`,
    );
    const message = error instanceof Error ? error.message : String(error);
    exchange.json(500, { message: `fake GitHub failed: ${message}` }, true);
  }
}

function parseBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString("utf8")) as unknown;
  } catch (error) {
    if (error instanceof SyntaxError)
      throw new HttpError(400, { message: "Problems parsing JSON" });
    throw error;
  }
}
