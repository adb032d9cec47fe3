import { describe, it } from "vitest";
import { smoke } from "./smoke.ts";

// The small form of bench/redact.ts: see smoke.ts.
describe("bench redact", () => {
  it("prints every figure it promises, in its small form", () => smoke("redact"), 300_000);
});
