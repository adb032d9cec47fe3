// The memory chart: what context management took out of the request and what that cost.
// Compactions, clearings and the tokens the API cleared are the totals each `context.health`
// event states; results cleared in the view are counted (the view does not count their tokens).
// A reread after a compaction is a read (reads.ts) of something last read before the latest
// compaction, counted once per thing per compaction: the model lost it and looked again.
// The shares of the issue and of the plan the request still carries are `context.health`'s
// `carries`, measured on the request as sent (logs written before it have no points).
import { callsByStep, type ToolCall } from "./calls.ts";
import { bump, carried, cumulative, measured, num, record, type StepLog } from "./steps.ts";
import type { Chart } from "./types.ts";

/** A total a `context.health` event states, by step (a step recorded twice: its last record). */
function stated(log: StepLog, read: (data: Record<string, unknown>) => unknown) {
  const values = new Map<number, number>();
  for (const event of log.events) {
    if (event.type !== "context.health") continue;
    const value = num(read(event.data));
    if (value !== undefined) values.set(event.step, value);
  }
  return values;
}

/** Rereads after a compaction, by step. */
function rereads(log: StepLog, calls: readonly ToolCall[], compactions: Map<number, number>) {
  const counts = new Map<number, number>();
  let before = new Set<string>();
  let since = new Set<string>();
  let total = 0;
  const byStep = callsByStep(calls);
  for (const step of log.axis) {
    const now = compactions.get(step) ?? total;
    if (now > total) {
      // The request of this step was compacted: everything read so far was read before it.
      before = new Set([...before, ...since]);
      since = new Set();
      total = now;
    }
    for (const call of byStep.get(step) ?? []) {
      for (const key of call.reads) {
        if (before.has(key) && !since.has(key)) bump(counts, step);
        since.add(key);
      }
    }
  }
  return counts;
}

export function memoryChart(log: StepLog, calls: readonly ToolCall[]): Chart {
  const compactions = stated(log, (d) => d.compactions);
  return {
    id: "memory",
    title: "Memory: what the context lost",
    unit: "count (tokens for tokens cleared; the shares 0..1)",
    series: [
      carried("compactions", log.axis, compactions),
      carried(
        "clearings",
        log.axis,
        stated(log, (d) => d.clearings),
      ),
      carried(
        "tokens cleared by the API",
        log.axis,
        stated(log, (d) => record(d.context).serverClearedTokens),
      ),
      carried(
        "tool results cleared in the view",
        log.axis,
        stated(log, (d) => record(d.context).clearedResults),
      ),
      cumulative("rereads after a compaction", log.axis, rereads(log, calls, compactions)),
      measured(
        "share of the issue the request carries",
        stated(log, (d) => record(d.carries).issue),
      ),
      measured(
        "share of the plan the request carries",
        stated(log, (d) => record(d.carries).plan),
      ),
    ],
  };
}
