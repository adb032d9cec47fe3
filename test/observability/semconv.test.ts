// The attribute names Stamina copied from OpenTelemetry's semantic conventions (the GenAI ones
// are still in development, so they are copied rather than imported) are the installed
// package's: a rename there fails here, not in an operator's dashboard.
import * as conventions from "@opentelemetry/semantic-conventions/incubating";
import { describe, expect, it } from "vitest";
import * as ours from "../../src/observability/semconv.ts";

describe("the copied semantic conventions", () => {
  const copied = Object.entries(ours).filter(([name]) => !name.startsWith("ATTR_STAMINA_"));

  it("are each the package's value under the package's name", () => {
    expect(copied.length).toBeGreaterThan(20);
    const theirs = conventions as unknown as Record<string, unknown>;
    for (const [name, value] of copied)
      expect({ name, value }).toEqual({ name, value: theirs[name] });
  });

  it("leave Stamina's own names in its own namespace", () => {
    for (const [name, value] of Object.entries(ours)) {
      if (name.startsWith("ATTR_STAMINA_")) expect(value).toMatch(/^stamina\./);
    }
  });
});
