// How config files merge (base first): mappings key by key at every depth, anything else replaces.
import { describe, expect, it } from "vitest";
import { mergeConfigs } from "../../src/app/repo-config.ts";

describe("mergeConfigs", () => {
  it("merges mappings at every depth and replaces lists, text and numbers", () => {
    expect(
      mergeConfigs([
        { label: "ai", setup: ["a", "b"], budget: { steps: 80, dollars: 20 }, approvals: { x: 1 } },
        { setup: ["c"], budget: { dollars: 5 }, approvals: null },
      ]),
    ).toEqual({ label: "ai", setup: ["c"], budget: { steps: 80, dollars: 5 }, approvals: null });
  });

  it("keeps a `__proto__` key a key, which the schema then calls unknown", () => {
    const merged = mergeConfigs([
      {},
      JSON.parse('{"__proto__": {"label": "x"}}') as Record<string, unknown>,
    ]);
    expect(Object.keys(merged)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).label).toBeUndefined();
    expect((merged as { label?: unknown }).label).toBeUndefined();
  });
});
