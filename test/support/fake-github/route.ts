// The contract between the REST router and the route handlers: what a handler receives, what it
// answers, and how it says which credential it needs.
import type { IncomingHttpHeaders } from "node:http";
import type { Git } from "./git.ts";
import type { FakeState, RepoRecord, TokenRecord } from "./state.ts";

export interface World {
  state: FakeState;
  git: Git;
  appId: number;
  tokenTtlMs: number;
}

interface BaseContext {
  world: World;
  params: Record<string, string>;
  query: Record<string, string>;
  /** The JSON body, already checked against the OpenAPI schema's top level. */
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}

/** Authenticated by the App JWT. */
type AppContext = BaseContext;

/** Authenticated by an installation token that may act on `repo`. */
export interface RepoContext extends BaseContext {
  repo: RepoRecord;
  installationId: number;
  /** What the request's token may do (a ref update's workflow files need `workflows`). */
  token: TokenRecord;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Sent as text/plain instead of JSON (the `raw` media type). */
  text?: Buffer;
  headers?: Record<string, string>;
}

export type RouteDef =
  /** A route GitHub answers without credentials (trading a manifest's code, say). */
  | { auth: "none"; handle: (ctx: BaseContext) => Reply | Promise<Reply> }
  | { auth: "jwt"; handle: (ctx: AppContext) => Reply | Promise<Reply> }
  | { auth: "token"; handle: (ctx: RepoContext) => Reply | Promise<Reply> };

/** Keyed by OpenAPI method and template, e.g. "GET /repos/{owner}/{repo}". */
export type RouteTable = Record<string, RouteDef>;

/** Reads an integer path parameter the way GitHub does: anything else is a 404. */
export function intParam(params: Record<string, string>, name: string): number | undefined {
  const raw = params[name] ?? "";
  return /^\d+$/.test(raw) ? Number(raw) : undefined;
}
