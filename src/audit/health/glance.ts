// The verdict at a glance, from the charts' last points: unhealthy when the run is failing or was
// stopped for it, watch when something drifts. Each reason says what it saw, in numbers.
import type { Chart, ChartId, Glance } from "./types.ts";

/** The last value of a chart's series, by the series' name's start; 0 when it has none. */
function last(charts: readonly Chart[], id: ChartId, name: string): number {
  const series = charts.find((c) => c.id === id)?.series.find((s) => s.name.startsWith(name));
  return series?.points.at(-1)?.[1] ?? 0;
}

const pct = (share: number) => `${Math.round(share * 100)}%`;

export function glanceOf(charts: readonly Chart[]): Glance {
  const bad: string[] = [];
  const watch: string[] = [];
  const failing = last(charts, "errors", "share of tool calls failing");
  if (failing > 0.5) bad.push(`${pct(failing)} of the tool calls of the last 10 steps failed`);
  else if (failing > 0.25)
    watch.push(`${pct(failing)} of the tool calls of the last 10 steps failed`);
  const pauses = last(charts, "drift", "watchdog pauses");
  if (pauses > 0) bad.push(`the watchdog paused the run ${count(pauses, "time")}`);
  const nudges = last(charts, "drift", "watchdog nudges");
  if (nudges > 0 && pauses === 0)
    watch.push(`the watchdog nudged the model ${count(nudges, "time")}`);
  for (const budget of ["steps", "tokens", "dollars", "minutes"]) {
    const share = last(charts, "spend", budget);
    if (share >= 1) bad.push(`the ${budget} budget is used up (${pct(share)})`);
    else if (share >= 0.8) watch.push(`${pct(share)} of the ${budget} budget is used`);
  }
  const strays = last(charts, "drift", "files changed outside");
  if (strays > 0)
    watch.push(`${count(strays, "file")} changed that neither the issue nor the plan name`);
  const rereads = last(charts, "memory", "rereads after a compaction");
  if (rereads >= 3) watch.push(`${count(rereads, "reread")} after a compaction`);
  const secrets = last(charts, "safety", "secret findings");
  if (secrets > 0) watch.push(`${count(secrets, "secret finding")} in what the run would push`);
  if (bad.length > 0) return { level: "unhealthy", reasons: [...bad, ...watch] };
  if (watch.length > 0) return { level: "watch", reasons: watch };
  return { level: "healthy", reasons: [] };
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
