import { describe, it } from "vitest";
import { smoke } from "./smoke.ts";

// The small form of bench/pages.ts: see smoke.ts.
describe("bench pages", () => {
  it("prints every figure it promises, in its small form", () => smoke("pages"), 300_000);
});
