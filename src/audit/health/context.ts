// The context chart: what each step sent and what the model counted, from the `context.health`
// event the loop records after every step (src/agent/context/health.ts). A step recorded twice
// (re-executed after a crash) shows its last record.
import { measured, num, record, type StepLog } from "./steps.ts";
import type { Chart } from "./types.ts";

const FIELDS: Array<[name: string, read: (data: Record<string, unknown>) => unknown]> = [
  ["request size (bytes of JSON)", (d) => record(d.sent).bytes],
  ["request size (estimated tokens, bytes / 4)", (d) => record(d.sent).estimatedTokens],
  ["input tokens (not from the cache)", (d) => record(d.tokens).input],
  ["output tokens", (d) => record(d.tokens).output],
  ["cache read tokens", (d) => record(d.tokens).cacheRead],
  ["cache write tokens", (d) => record(d.tokens).cacheWrite],
];

export function contextChart(log: StepLog): Chart {
  const values = FIELDS.map(() => new Map<number, number>());
  for (const event of log.events) {
    if (event.type !== "context.health") continue;
    FIELDS.forEach(([, read], i) => {
      const value = num(read(event.data));
      if (value !== undefined) values[i]!.set(event.step, value);
    });
  }
  return {
    id: "context",
    title: "Context sent per step",
    unit: "tokens (the request size also in bytes)",
    series: FIELDS.map(([name], i) => measured(name, values[i]!)),
  };
}
