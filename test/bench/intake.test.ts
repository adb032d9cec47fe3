import { describe, it } from "vitest";
import { smoke } from "./smoke.ts";

// The small form of bench/intake.ts: see smoke.ts.
describe("bench intake", () => {
  it("prints every figure it promises, in its small form", () => smoke("intake"), 300_000);
});
