import { describe, it } from "vitest";
import { smoke } from "./smoke.ts";

// The small form of bench/load.ts: see smoke.ts.
describe("bench load", () => {
  it("prints every figure it promises, in its small form", () => smoke("load"), 900_000);
});
