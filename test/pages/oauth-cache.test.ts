// GitHub's answers about reading a repository, kept briefly: per viewer and repository (names in
// any case), gone once their time passed, and never more than the cache's size.
import { describe, expect, it } from "vitest";
import { readCache } from "../../src/pages/oauth-cache.ts";

describe("the read-access cache", () => {
  it("keeps an answer per viewer and repository until its time passed", () => {
    let now = 0;
    const cache = readCache({ ttlMs: 60_000, size: 10, now: () => now });
    cache.set("octocat", "acme/app", true);
    cache.set("hubot", "acme/app", false);
    expect(cache.get("OctoCat", "ACME/app")).toBe(true);
    expect(cache.get("hubot", "acme/app")).toBe(false);
    expect(cache.get("octocat", "acme/other")).toBeUndefined();
    now = 59_999;
    expect(cache.get("octocat", "acme/app")).toBe(true);
    now = 60_000;
    expect(cache.get("octocat", "acme/app")).toBeUndefined();
  });

  it("drops the oldest answers past its size, keeping the newest", () => {
    const cache = readCache({ ttlMs: 60_000, size: 3, now: () => 0 });
    for (const name of ["a", "b", "c"]) cache.set("octocat", `acme/${name}`, true);
    cache.set("octocat", "acme/a", false); // asked again: now the newest
    cache.set("octocat", "acme/d", true);
    expect(cache.get("octocat", "acme/b")).toBeUndefined();
    expect(cache.get("octocat", "acme/a")).toBe(false);
    expect(cache.get("octocat", "acme/c")).toBe(true);
    expect(cache.get("octocat", "acme/d")).toBe(true);
  });
});
