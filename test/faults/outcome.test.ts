// The fault suite's reduction of an audit log, on logs written by hand: a step cut by a killed
// worker and redone leaves the actions as an undisturbed run's, a step run again after its
// checkpoint is found and tells the logs apart.
import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../../src/audit/types.ts";
import { reduceLog } from "./outcome.ts";

/** A log from `[type, data]` pairs, numbered in order. */
function log(...entries: Array<[string, Record<string, unknown>?]>): AuditEvent[] {
  return entries.map(([type, data = {}], i) => ({
    run: "r",
    seq: i + 1,
    ts: "2026-12-06T00:00:00.000Z",
    type,
    data,
    prevHash: "",
    hash: "",
  }));
}

const step = (n: number): Array<[string, Record<string, unknown>]> => [
  ["model.request", { step: n }],
  ["model.response", { step: n }],
  ["context.health", {}],
];
const progress: [string, Record<string, unknown>] = [
  "github.write",
  { op: "comment.update", commentId: 3 },
];
const undisturbed = log(
  ["run.queued"],
  ["run.claimed", { worker: "a" }],
  ["verify.baseline", { passed: false }],
  ...step(1),
  progress,
  ...step(2),
  ["agent.stop"],
  ["run.finished", { state: "succeeded" }],
);

describe("the fault suite's reduction of an audit log", () => {
  it("leaves out a step a killed worker did not checkpoint, redone by the next", () => {
    const killed = log(
      ["run.queued"],
      ["run.claimed", { worker: "a" }],
      ["verify.baseline", { passed: false }],
      ...step(1),
      progress,
      ["model.request", { step: 2 }],
      ["run.claimed", { worker: "b" }],
      ["step.retried", { step: 2 }],
      ["run.resumed", { fromStep: 1 }],
      progress,
      ...step(2),
      ["agent.stop"],
      ["run.finished", { state: "succeeded" }],
    );
    expect(reduceLog(killed)).toEqual(reduceLog(undisturbed));
    expect(reduceLog(killed).again).toEqual([]);
  });

  it("finds a step run again after its checkpoint, and tells the two logs apart", () => {
    const doubled = log(
      ["run.queued"],
      ["run.claimed", { worker: "a" }],
      ["verify.baseline", { passed: false }],
      ...step(1),
      ["run.claimed", { worker: "b" }],
      ...step(1),
      ...step(2),
      ["agent.stop"],
      ["run.finished", { state: "succeeded" }],
    );
    const reduced = reduceLog(doubled);
    expect(reduced.again).toEqual(["step 1 ran 2 times, 0 of them retried"]);
    expect(reduced.actions).not.toEqual(reduceLog(undisturbed).actions);
  });
});
