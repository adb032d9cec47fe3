// What the runs list and the run page say of a run, read from its audit events (so a running
// run's figures move as its worker records steps): steps, tokens, dollars, the phase, how long
// it ran, and the plan as it changed. The same events, exported, give the same figures.
import type { AuditEvent } from "../audit/types.ts";

export interface RunFacts {
  /** The highest step any event names. */
  steps: number;
  /** Input (cache reads and writes included) and output tokens of every model response. */
  tokens: number;
  dollars: number;
  /** The phase the last `agent.phase` moved to, or null before the first. */
  phase: string | null;
  /** From the first event to the last (a finished run) or to `now` (one still going). */
  durationMs: number;
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

export function runFacts(events: readonly AuditEvent[], finished: boolean, now: number): RunFacts {
  let steps = 0;
  let tokens = 0;
  let dollars = 0;
  let phase: string | null = null;
  for (const e of events) {
    steps = Math.max(steps, num(e.data.step));
    if (e.type === "model.response") {
      const u = (e.data.usage ?? {}) as Record<string, unknown>;
      tokens +=
        num(u.input_tokens) +
        num(u.output_tokens) +
        num(u.cache_read_input_tokens) +
        num(u.cache_creation_input_tokens);
      dollars += num(e.data.cost);
    }
    if (e.type === "agent.phase" && typeof e.data.to === "string") phase = e.data.to;
  }
  const first = events[0];
  const last = events.at(-1);
  const start = first === undefined ? now : Date.parse(first.ts);
  const end = finished && last !== undefined ? Date.parse(last.ts) : now;
  return { steps, tokens, dollars, phase, durationMs: Math.max(0, end - start) };
}

export interface PlanItem {
  step: string;
  status: string;
}

/** Each plan the agent set (`update_plan`), with the step it was set at. */
export function planHistory(
  events: readonly AuditEvent[],
): Array<{ seq: number; step: number; plan: PlanItem[] }> {
  const out: Array<{ seq: number; step: number; plan: PlanItem[] }> = [];
  for (const e of events) {
    if (e.type !== "tool.call" || e.data.name !== "update_plan") continue;
    const plan = planOf((e.data.input as Record<string, unknown> | undefined)?.plan);
    if (plan !== null) out.push({ seq: e.seq, step: num(e.data.step), plan });
  }
  return out;
}

/** The plan as the model sent it: a list, or a list as JSON text (models send both). */
function planOf(value: unknown): PlanItem[] | null {
  let list = value;
  if (typeof value === "string") {
    try {
      list = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (!Array.isArray(list)) return null;
  return list.map((item) => {
    const r = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
    return {
      step: typeof r.step === "string" ? r.step : "",
      status: typeof r.status === "string" ? r.status : "",
    };
  });
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
