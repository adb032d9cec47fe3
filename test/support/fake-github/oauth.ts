// Sign-in with GitHub (the OAuth web flow of the app's client), as GitHub answers it. This is a
// stated exception to the fake's OpenAPI check: `/login/oauth/authorize` and
// `/login/oauth/access_token` live on the web host, not under the REST API, and GitHub's REST
// description does not have them; they follow GitHub's documentation ("Authorizing OAuth apps",
// "Generating a user access token for a GitHub App") instead. What a user's token then reads
// (`GET /user`, `GET /repos/{owner}/{repo}`) is REST and goes through the OpenAPI lookup.
//
// The person in the browser is whoever the test signed in (`signInAs`); they are sent back to
// the redirect_uri with a code, which the app trades once, within ten minutes, for a `ghu_`
// token that expires after eight hours on the fake's clock. A user's token reads a repository
// when the test gave that user a permission on it (`setPermission`), and 404s otherwise, as
// GitHub hides what a person cannot see.
import { randomBytes, randomInt } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { type Exchange, HttpError, notFound, readBody } from "./http-io.ts";
import type { Reply, World } from "./route.ts";
import { repoJson, userJson } from "./shapes.ts";
import type { FakeState } from "./state.ts";

const CODE_TTL_MS = 10 * 60_000;
const USER_TOKEN_TTL_S = 8 * 3600;

export interface OAuthWorld {
  client: { id: string; secret: string };
  /** Who is signed in to GitHub in the browser; null: nobody. */
  browserUser: string | null;
  codes: Map<string, { login: string; redirectUri: string; until: number }>;
  tokens: Map<string, { login: string; until: number }>;
}

const worlds = new WeakMap<FakeState, OAuthWorld>();

export function oauthOf(state: FakeState): OAuthWorld {
  let found = worlds.get(state);
  if (!found) {
    found = {
      client: {
        id: `Iv1.${randomBytes(8).toString("hex")}`,
        secret: randomBytes(20).toString("hex"),
      },
      browserUser: null,
      codes: new Map(),
      tokens: new Map(),
    };
    worlds.set(state, found);
  }
  return found;
}

export const isOAuthPath = (path: string): boolean => path.startsWith("/login/oauth/");

export async function serveOAuth(
  state: FakeState,
  req: IncomingMessage,
  url: URL,
  exchange: Exchange,
): Promise<void> {
  const oauth = oauthOf(state);
  if (req.method === "GET" && url.pathname === "/login/oauth/authorize") {
    await readBody(req);
    authorize(state, oauth, url, exchange);
    return;
  }
  if (req.method === "POST" && url.pathname === "/login/oauth/access_token") {
    const raw = (await readBody(req)).toString("utf8");
    const fields = parseFields(raw, req.headers["content-type"] ?? "");
    exchange.record.body = { ...fields, client_secret: fields.client_secret ? "(given)" : "" };
    const answer = accessToken(state, oauth, fields);
    const wantsJson = (req.headers.accept ?? "").includes("json");
    if (wantsJson) exchange.json(200, answer, "error" in answer);
    else {
      const res = exchange.head(
        200,
        { "content-type": "application/x-www-form-urlencoded" },
        "error" in answer,
      );
      res.end(new URLSearchParams(answer as Record<string, string>).toString());
    }
    return;
  }
  throw notFound();
}

function authorize(state: FakeState, oauth: OAuthWorld, url: URL, exchange: Exchange): void {
  const text = (status: number, words: string) => {
    const res = exchange.head(status, { "content-type": "text/plain; charset=utf-8" }, true);
    res.end(words);
  };
  if (url.searchParams.get("client_id") !== oauth.client.id) {
    return text(404, "fake GitHub: no OAuth application has this client_id");
  }
  const redirectUri = url.searchParams.get("redirect_uri");
  // GitHub falls back to the app's first callback URL; the fake registers none, so it asks for one.
  if (redirectUri === null) return text(400, "fake GitHub: give a redirect_uri");
  if (oauth.browserUser === null) {
    return text(
      401,
      "fake GitHub: nobody is signed in in the browser; the test calls signInAs(login) first",
    );
  }
  const code = randomBytes(10).toString("hex");
  oauth.codes.set(code, {
    login: oauth.browserUser,
    redirectUri,
    until: state.now() + CODE_TTL_MS,
  });
  const back = new URL(redirectUri);
  back.searchParams.set("code", code);
  const given = url.searchParams.get("state");
  if (given !== null) back.searchParams.set("state", given);
  const res = exchange.head(302, { location: back.href }, false);
  res.end();
}

function accessToken(
  state: FakeState,
  oauth: OAuthWorld,
  fields: Record<string, string>,
): Record<string, string | number> {
  if (fields.client_id !== oauth.client.id || fields.client_secret !== oauth.client.secret) {
    return {
      error: "incorrect_client_credentials",
      error_description: "The client_id and/or client_secret passed are incorrect.",
    };
  }
  const code = oauth.codes.get(fields.code ?? "");
  oauth.codes.delete(fields.code ?? ""); // good once, right or wrong
  if (!code || code.until <= state.now()) {
    return {
      error: "bad_verification_code",
      error_description: "The code passed is incorrect or expired.",
    };
  }
  if (fields.redirect_uri !== undefined && fields.redirect_uri !== code.redirectUri) {
    return {
      error: "redirect_uri_mismatch",
      error_description:
        "The redirect_uri MUST match the registered callback URL for this application.",
    };
  }
  const token = `ghu_${alnum(36)}`;
  oauth.tokens.set(token, { login: code.login, until: state.now() + USER_TOKEN_TTL_S * 1000 });
  return {
    access_token: token,
    expires_in: USER_TOKEN_TTL_S,
    refresh_token: `ghr_${alnum(76)}`,
    refresh_token_expires_in: 15_811_200,
    token_type: "bearer",
    scope: "",
  };
}

/** The login a live user token belongs to. */
export function userOfToken(state: FakeState, token: string): string | undefined {
  const record = oauthOf(state).tokens.get(token);
  return record && record.until > state.now() ? record.login : undefined;
}

const READS = new Set(["read", "triage", "write", "maintain", "admin"]);

/** What a user's token may ask, by OpenAPI route key: who they are, and a repository they can read. */
export const USER_ROUTES: Record<
  string,
  (world: World, login: string, params: Record<string, string>) => Reply
> = {
  "GET /user": (world, login) => ({ status: 200, body: userJson(world.state, login) }),
  "GET /repos/{owner}/{repo}": (world, login, params) => {
    const repo = world.state.repo(params.owner ?? "", params.repo ?? "");
    const permission = repo && world.state.permission(repo.owner, repo.name, login);
    if (!repo || permission === undefined || !READS.has(permission)) throw notFound();
    return { status: 200, body: repoJson(world.state, repo) };
  },
};

export function userRoute(key: string): (typeof USER_ROUTES)[string] {
  const route = USER_ROUTES[key];
  if (!route) {
    throw new HttpError(501, {
      message: `fake GitHub does not implement ${key} with a user's token`,
    });
  }
  return route;
}

function parseFields(raw: string, contentType: string): Record<string, string> {
  if (contentType.includes("json")) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (typeof parsed !== "object" || parsed === null) return {};
      return Object.fromEntries(
        Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"),
      );
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function alnum(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}
