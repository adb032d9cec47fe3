import { describe, it } from "vitest";
import { smoke } from "./smoke.ts";

// The small form of bench/resume.ts: see smoke.ts.
describe("bench resume", () => {
  it("prints every figure it promises, in its small form", () => smoke("resume"), 300_000);
});
