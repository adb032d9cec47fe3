// Which step each audit event belongs to, and the series builders every chart uses. Most events
// the agent writes carry `data.step`; the rest (a secret scan, a blocked host, an approval, the
// run's own events) belong to the step recorded last before them, and those before the first
// step to step 1, since they happened before it ended.
import type { AuditEvent } from "../types.ts";
import type { Series } from "./types.ts";

export interface SteppedEvent {
  step: number;
  type: string;
  data: Record<string, unknown>;
}

export interface StepLog {
  /** The highest step any event names; 0 when none does. */
  steps: number;
  /** The steps the charts have points for: 1..steps, or [0] for a log without steps. */
  axis: number[];
  events: SteppedEvent[];
}

/** A positive whole step number from an event's data, or undefined. */
function stepOf(data: Record<string, unknown>): number | undefined {
  const step = data.step;
  return typeof step === "number" && Number.isInteger(step) && step >= 1 ? step : undefined;
}

export function stepLog(events: readonly AuditEvent[]): StepLog {
  let steps = 0;
  for (const event of events) steps = Math.max(steps, stepOf(event.data) ?? 0);
  const first = steps >= 1 ? 1 : 0;
  let current = first;
  const stepped = events.map((event) => {
    const own = stepOf(event.data);
    if (own !== undefined) current = own;
    return { step: own ?? current, type: event.type, data: event.data };
  });
  const axis = steps >= 1 ? Array.from({ length: steps }, (_, i) => i + 1) : [0];
  return { steps, axis, events: stepped };
}

/** Counts per step added up: the total at the end of every step of the axis. */
export function cumulative(
  name: string,
  axis: readonly number[],
  perStep: ReadonlyMap<number, number>,
): Series {
  let total = 0;
  return {
    name,
    points: axis.map((step) => {
      total += perStep.get(step) ?? 0;
      return [step, total];
    }),
  };
}

/** A running total the log states itself (a counter so far): the last value up to each step. */
export function carried(
  name: string,
  axis: readonly number[],
  atStep: ReadonlyMap<number, number>,
): Series {
  let last = 0;
  return {
    name,
    points: axis.map((step) => {
      last = atStep.get(step) ?? last;
      return [step, last];
    }),
  };
}

/** A value measured at some steps only (the request's size): a point where there is one. */
export function measured(name: string, atStep: ReadonlyMap<number, number>): Series {
  return { name, points: [...atStep.entries()].sort((a, b) => a[0] - b[0]) };
}

/** Adds `by` to the count of `step`. */
export function bump(counts: Map<number, number>, step: number, by = 1): void {
  counts.set(step, (counts.get(step) ?? 0) + by);
}

export function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
