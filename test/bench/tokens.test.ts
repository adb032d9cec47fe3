import { describe, it } from "vitest";
import { smoke } from "./smoke.ts";

// The small form of bench/tokens.ts: see smoke.ts.
describe("bench tokens", () => {
  it("prints every figure it promises, in its small form", () => smoke("tokens"), 300_000);
});
