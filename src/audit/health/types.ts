// The shapes the run pages draw: a run's AI-health charts, each a few series of
// [step, value] points, and a short verdict over them. Kept apart from index.ts
// so the chart modules can name them without importing the module that uses them.

/** One line of a chart: a point per step it has a value for. */
export interface Series {
  name: string;
  points: Array<[step: number, value: number]>;
}

export type ChartId = "context" | "errors" | "drift" | "memory" | "safety" | "spend";

export interface Chart {
  id: ChartId;
  title: string;
  unit: string;
  series: Series[];
}

export interface Glance {
  level: "healthy" | "watch" | "unhealthy";
  reasons: string[];
}

export interface RunHealth {
  /** The last step the log records (0 when no step was recorded). */
  steps: number;
  charts: Chart[];
  glance: Glance;
}
