// Sign-in with GitHub for the run pages, through the app's own OAuth client: a viewer without a
// session is sent to sign in (oauth-sign-in.ts, whose routes the gate answers in `admit`), and
// whether they may see a repository's runs is GitHub's answer to their token reading it, asked
// per request and kept briefly (oauth-cache.ts).
import type { PageGate, Viewer } from "./gate.ts";
import { readCache } from "./oauth-cache.ts";
import { mayReadRepository } from "./oauth-github.ts";
import { AUTH_PATHS, createSignIn, type SignInOptions } from "./oauth-sign-in.ts";

export interface OAuthGateOptions extends SignInOptions {
  /** How long GitHub's answer about reading a repository is reused (default 60 s), and how many are kept. */
  readCacheMs?: number;
  readCacheSize?: number;
}

export function createOAuthGate(options: OAuthGateOptions): PageGate {
  const signIn = createSignIn(options);
  const cache = readCache({
    ttlMs: options.readCacheMs ?? 60_000,
    size: options.readCacheSize ?? 10_000,
    now: options.now ?? Date.now,
  });
  return {
    async admit(req, res) {
      const url = new URL(req.url ?? "/", "http://stamina.invalid");
      if (await signIn.answer(req, res, url)) return null;
      const found = signIn.session(req);
      if (found !== undefined) {
        options.onToken?.(found.token);
        return { kind: "github", login: found.login, token: found.token };
      }
      const next = `${AUTH_PATHS.login}?next=${encodeURIComponent(url.pathname + url.search)}`;
      res.writeHead(302, { location: next, "cache-control": "no-store" });
      res.end();
      return null;
    },
    async mayRead(viewer: Viewer, repository: string) {
      if (viewer.kind !== "github") return false;
      const known = cache.get(viewer.login, repository);
      if (known !== undefined) return known;
      const allowed = await mayReadRepository(options.github, viewer.token, repository);
      cache.set(viewer.login, repository, allowed);
      return allowed;
    },
  };
}
