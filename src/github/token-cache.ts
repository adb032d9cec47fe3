// The installation-token cache given to Octokit's app auth. Its own cache
// keeps a token for 59 minutes whatever the token's expiry says; this one
// drops a token once most of its life is spent (the last quarter, at most
// five minutes before it expires), so a run that outlives its token asks for
// a fresh one before a push or a REST call meets an expired one.
const REFRESH_BEFORE_MS = 5 * 60_000;

interface Entry {
  value: string;
  /** When the token stops being handed out. */
  refreshAt: number;
}

export interface TokenCache {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

export function createTokenCache(now: () => number = Date.now): TokenCache {
  const entries = new Map<string, Entry>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (now() < entry.refreshAt) return entry.value;
      entries.delete(key);
      return undefined;
    },
    set(key, value) {
      // auth-app stores "token|createdAt|expiresAt|…"; expiresAt is GitHub's ISO time.
      const expiresAt = Date.parse(value.split("|")[2] ?? "");
      const issued = now();
      const life = Number.isNaN(expiresAt) ? 0 : expiresAt - issued;
      const refreshAt = issued + life - Math.min(REFRESH_BEFORE_MS, life / 4);
      entries.set(key, { value, refreshAt });
    },
  };
}
