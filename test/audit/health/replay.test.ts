// A real run's log, recorded by the run harness (the real loop, the real SDK against the scripted
// model, the fake GitHub), exported as JSONL and read back: the charts are the same as from the
// stored events, and the same again a second time, and they show what the run did.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runHealth } from "../../../src/audit/health/index.ts";
import { parseJsonl, toJsonl } from "../../../src/audit/jsonl.ts";
import { editFile, reply, text, toolUse } from "../../support/model-server/index.ts";
import { startHarness, type Harness } from "../../support/run-harness.ts";
import { points, values } from "./events.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ "a.txt": "one\n", "b.txt": "bee\n" });
});
afterEach(() => h.close());

describe("a recorded run's health", () => {
  it("replays from its exported JSONL to the same charts, twice", async () => {
    await h.model([
      reply(toolUse("str_replace_based_edit_tool", { command: "view", path: "a.txt" })),
      reply(toolUse("update_plan", { plan: ["Make a.txt say two"] })),
      reply(toolUse("bash", { command: "cat missing.txt" })),
      reply(toolUse("bash", { command: "cat b.txt" })),
      reply(editFile("a.txt", "one", "two")),
      reply(editFile("b.txt", "bee", "be")),
      reply(text("Changed a.txt.")),
      reply(text("a.txt says two now, as the issue asks.")),
    ]);
    await h.queue();
    const finished = await h.execute(await h.claim());
    expect(finished.state).toBe("succeeded");
    const stored = await h.store.audit.events(finished.id);

    const jsonl = toJsonl(stored);
    const first = runHealth(parseJsonl(jsonl));
    const second = runHealth(parseJsonl(jsonl));
    expect(first).toEqual(runHealth(stored));
    expect(second).toEqual(first);

    expect(first.steps).toBe(8);
    expect(values(first, "errors", "failing tool calls (so far)")).toEqual([
      0, 0, 1, 1, 1, 1, 1, 1,
    ]);
    // b.txt: the issue ("Make it two": a.txt should say two) and the plan name a.txt only.
    expect(values(first, "drift", "files changed outside the issue and the plan")).toEqual([
      0, 0, 0, 0, 0, 1, 1, 1,
    ]);
    expect(values(first, "spend", "steps")).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((s) => s / 50));
    const sent = first.charts.find((c) => c.id === "context")!.series[0]!.points;
    expect(sent.map(([step]) => step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(sent.every(([, bytes]) => bytes > 0)).toBe(true);
    // Every request held the whole issue; the plan, from the first request sent with one.
    const issue = points(first, "memory", "share of the issue the request carries");
    expect(issue).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((s) => [s, 1]));
    const plan = points(first, "memory", "share of the plan the request carries");
    expect(plan).toEqual([3, 4, 5, 6, 7, 8].map((s) => [s, 1]));
    expect(first.glance).toEqual({
      level: "watch",
      reasons: ["1 file changed that neither the issue nor the plan name"],
    });
  });
});
