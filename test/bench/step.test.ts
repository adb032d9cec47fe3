import { describe, it } from "vitest";
import { smoke } from "./smoke.ts";

// The small form of bench/step.ts: see smoke.ts.
describe("bench step", () => {
  it("prints every figure it promises, in its small form", () => smoke("step"), 300_000);
});
