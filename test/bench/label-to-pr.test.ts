import { describe, it } from "vitest";
import { smoke } from "./smoke.ts";

// The small form of bench/label-to-pr.ts: see smoke.ts.
describe("bench label-to-pr", () => {
  it("prints every figure it promises, in its small form", () => smoke("label-to-pr"), 300_000);
});
