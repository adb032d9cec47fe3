// Sign-in with GitHub's own routes and the session they leave: /runs/auth/login sends the viewer
// to GitHub with a random state kept in a sealed cookie; /runs/auth/callback checks GitHub's
// answer against it, trades the code for the viewer's token (POST /login/oauth/access_token)
// and names them (GET /user); the session is a sealed cookie (oauth-seal.ts) with their login
// and token, for as long as GitHub's user tokens live (eight hours) at most.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../observability/logger.ts";
import { GitHubAccessError, tradeCode, userOf, type GitHubSite } from "./oauth-github.ts";
import { sendAuthPage } from "./oauth-pages.ts";
import { cookieSealer, readCookies, setCookie } from "./oauth-seal.ts";

export const AUTH_PATHS = {
  login: "/runs/auth/login",
  callback: "/runs/auth/callback",
  logout: "/runs/auth/logout",
} as const;

const SESSION_COOKIE = "stamina_session";
const STATE_COOKIE = "stamina_sign_in";
/** A session lasts as long as GitHub's expiring user tokens do, at most. */
const SESSION_MAX_MS = 8 * 3_600_000;
/** The time a person has to sign in on GitHub. */
const STATE_MAX_MS = 10 * 60_000;

export interface SignInOptions {
  /** The app's OAuth client (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET). */
  client: { id: string; secret: string };
  github: GitHubSite;
  /** What the cookies' key is derived from (the webhook secret). */
  secret: string;
  /** STAMINA_PUBLIC_URL: the callback GitHub sends people back to; unset, the app's first callback URL. */
  publicUrl?: string | undefined;
  now?: () => number;
  /** Learns each viewer's token, so no log line shows it (the process's redactor). */
  onToken?: (token: string) => void;
  log?: Logger;
}

interface Session {
  login: string;
  token: string;
  until: number;
}

export interface SignIn {
  /** Answers the sign-in's own routes: true when `url` was one of them. */
  answer(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /** The request's session, when its cookie is one this app sealed and it has not ended. */
  session(req: IncomingMessage): Session | undefined;
}

export function createSignIn(options: SignInOptions): SignIn {
  const now = options.now ?? Date.now;
  const sealer = cookieSealer(options.secret);
  const secure = options.publicUrl?.startsWith("https:") ?? false;
  const redirectUri =
    options.publicUrl === undefined ? undefined : `${options.publicUrl}${AUTH_PATHS.callback}`;
  const cookie = (name: string, value: string, path: string, maxAgeMs: number) =>
    setCookie(name, value, { path, maxAge: maxAgeMs / 1000, secure });

  const session = (req: IncomingMessage): Session | undefined => {
    const sealed = readCookies(req.headers.cookie).get(SESSION_COOKIE);
    const value = sealed === undefined ? undefined : sealer.open(SESSION_COOKIE, sealed);
    if (!isSession(value) || value.until <= now()) return undefined;
    return value;
  };

  const login = (res: ServerResponse, url: URL): null => {
    const state = randomBytes(32).toString("base64url");
    const next = safeNext(url.searchParams.get("next"));
    const authorize = new URL(`${options.github.webUrl}/login/oauth/authorize`);
    authorize.searchParams.set("client_id", options.client.id);
    authorize.searchParams.set("state", state);
    authorize.searchParams.set("allow_signup", "false");
    if (redirectUri !== undefined) authorize.searchParams.set("redirect_uri", redirectUri);
    const sealed = sealer.seal(STATE_COOKIE, { state, next, until: now() + STATE_MAX_MS });
    res.writeHead(302, {
      location: authorize.href,
      "cache-control": "no-store",
      "set-cookie": cookie(STATE_COOKIE, sealed, AUTH_PATHS.callback, STATE_MAX_MS),
    });
    res.end();
    return null;
  };

  const callback = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const clearState = cookie(STATE_COOKIE, "", AUTH_PATHS.callback, 0);
    const again = { href: AUTH_PATHS.login, text: "Sign in again" };
    const refuse = (status: number, title: string, words: string) => {
      sendAuthPage(res, { status, title, words, link: again, cookies: [clearState] });
      return null;
    };
    const sealed = readCookies(req.headers.cookie).get(STATE_COOKIE);
    const started = sealed === undefined ? undefined : sealer.open(STATE_COOKIE, sealed);
    const denied = url.searchParams.get("error");
    if (denied !== null) {
      return refuse(403, "Sign-in cancelled", `GitHub did not sign you in (${denied}).`);
    }
    if (!isStarted(started) || started.until <= now()) {
      return refuse(
        400,
        "Sign-in not recognised",
        "This browser has no sign-in under way (it was started elsewhere, took over ten minutes, or its cookie was refused), so this answer from GitHub cannot be trusted. Start the sign-in again.",
      );
    }
    const state = url.searchParams.get("state") ?? "";
    const code = url.searchParams.get("code") ?? "";
    if (!sameText(state, started.state) || code === "") {
      return refuse(
        400,
        "Sign-in not recognised",
        "The answer from GitHub does not match the sign-in this browser started (its state differs, or it has no code), so it may not come from you. Start the sign-in again.",
      );
    }
    let found: Session;
    try {
      const user = await tradeCode(options.github, options.client, code, redirectUri);
      options.onToken?.(user.token);
      const lifetime = Math.min(SESSION_MAX_MS, (user.expiresIn ?? Infinity) * 1000);
      found = {
        login: await userOf(options.github, user.token),
        token: user.token,
        until: now() + lifetime,
      };
    } catch (error) {
      if (!(error instanceof GitHubAccessError)) throw error;
      options.log?.warn({ err: error }, "a sign-in to the run pages failed");
      return refuse(502, "Sign-in failed", `${error.message}. Start the sign-in again.`);
    }
    res.writeHead(302, {
      location: started.next,
      "cache-control": "no-store",
      "set-cookie": [
        clearState,
        cookie(SESSION_COOKIE, sealer.seal(SESSION_COOKIE, found), "/runs", found.until - now()),
      ],
    });
    res.end();
    return null;
  };

  const logout = (res: ServerResponse): void =>
    sendAuthPage(res, {
      status: 200,
      title: "Signed out",
      words: "You are signed out of Stamina's run pages.",
      link: { href: AUTH_PATHS.login, text: "Sign in with GitHub" },
      cookies: [cookie(SESSION_COOKIE, "", "/runs", 0)],
    });

  return {
    async answer(req, res, url) {
      if (url.pathname === AUTH_PATHS.login) login(res, url);
      else if (url.pathname === AUTH_PATHS.callback) await callback(req, res, url);
      else if (url.pathname === AUTH_PATHS.logout) logout(res);
      else return false;
      return true;
    },
    session,
  };
}

/** Where to go after signing in: a page of ours under /runs, never another site or the sign-in itself. */
function safeNext(next: string | null): string {
  if (next === null || !/^\/runs(?:[/?]|$)/.test(next)) return "/runs";
  if (/[\\\s]|\/\//.test(next) || next.startsWith("/runs/auth")) return "/runs";
  return next;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function isSession(value: unknown): value is Session {
  const v = value as Partial<Session> | null | undefined;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.login === "string" &&
    typeof v.token === "string" &&
    typeof v.until === "number"
  );
}

function isStarted(value: unknown): value is { state: string; next: string; until: number } {
  const v = value as { state?: unknown; next?: unknown; until?: unknown } | null | undefined;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.state === "string" &&
    typeof v.next === "string" &&
    typeof v.until === "number"
  );
}
