import { describe, it } from "vitest";
import { smoke } from "./smoke.ts";

// The small form of bench/ack.ts: see smoke.ts.
describe("bench ack", () => {
  it("prints every figure it promises, in its small form", () => smoke("ack"), 300_000);
});
