// What GitHub said about a viewer reading a repository, kept briefly: each page asks, and a
// run page's live stream asks on every reconnect, so the answer is reused for a short while
// (60 s by default) rather than asked of GitHub each time. Bounded: past `size` entries the
// oldest goes first, so many viewers and repositories cannot grow it without end.
export interface ReadCache {
  get(login: string, repository: string): boolean | undefined;
  set(login: string, repository: string, allowed: boolean): void;
}

export function readCache(options: { ttlMs: number; size: number; now: () => number }): ReadCache {
  const entries = new Map<string, { allowed: boolean; until: number }>();
  // Logins and repository names are case-insensitive on GitHub.
  const keyOf = (login: string, repository: string) =>
    `${login.toLowerCase()} ${repository.toLowerCase()}`;
  return {
    get(login, repository) {
      const key = keyOf(login, repository);
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.until <= options.now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.allowed;
    },
    set(login, repository, allowed) {
      const key = keyOf(login, repository);
      entries.delete(key); // re-inserted last: the newest answer is the last to go
      entries.set(key, { allowed, until: options.now() + options.ttlMs });
      while (entries.size > options.size) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
    },
  };
}
