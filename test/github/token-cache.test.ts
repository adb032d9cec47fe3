// The installation-token cache: a token is handed out while most of its life
// is left, and renewed before it expires, whatever its lifetime.
import { describe, expect, it } from "vitest";
import { createTokenCache } from "../../src/github/token-cache.ts";

const entry = (token: string, expiresAt: number) =>
  `${token}|2026-11-21T10:00:00.000Z|${new Date(expiresAt).toISOString()}|all|issues!|`;

describe("the token cache", () => {
  it("renews an hour-long token five minutes before it expires", () => {
    let now = Date.parse("2026-11-21T10:00:00Z");
    const cache = createTokenCache(() => now);
    cache.set("1", entry("ghs_a", now + 3_600_000));
    now += 54 * 60_000;
    expect(cache.get("1")).toMatch(/^ghs_a\|/);
    now += 60_001;
    expect(cache.get("1")).toBeUndefined();
  });

  it("renews a token that lives seconds in its last quarter", () => {
    let now = 1_000_000;
    const cache = createTokenCache(() => now);
    cache.set("1", entry("ghs_b", now + 4_000));
    now += 2_999;
    expect(cache.get("1")).toBeDefined();
    now += 2;
    expect(cache.get("1")).toBeUndefined();
  });

  it("does not hand out a token whose expiry it cannot read", () => {
    const cache = createTokenCache(() => 0);
    cache.set("1", "ghs_c|x|not-a-date|all||");
    expect(cache.get("1")).toBeUndefined();
  });
});
