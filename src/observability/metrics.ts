// Prometheus metrics of one process (prom-client's exposition at /metrics): the webhooks it took
// in, the runs it claimed and their states, and the AI-health channels of every run it works on,
// read from the run's audit events as they are appended (tokens and dollars by model, tool errors,
// the watchdog, safety events, context size, compactions and clearings). Labels are bounded:
// model, outcome, kind, tool (the harness's tools; anything else is "other"), never a repository,
// a run or a person.
import type { IncomingMessage, ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The states a run can be in, for the gauge of runs by state. */
type RunCounts = () => Promise<Record<string, number>>;

export interface Metrics {
  readonly registry: Registry;
  /** A webhook delivery: stored to be handled, seen before, not acted on, or refused. */
  webhook: (outcome: "accepted" | "duplicate" | "ignored" | "rejected") => void;
  /** A run claimed by this worker after waiting `waitSeconds` in the queue; `takeover`: from a dead worker. */
  claimed: (waitSeconds: number, takeover: boolean) => void;
  /** A run's audit event, as appended. */
  audit: (runId: string, type: string, data: Record<string, unknown>) => void;
  /** A GitHub API call answered with an error status (or not answered), and one sent again. */
  githubError: (status: number | undefined) => void;
  githubRetry: () => void;
  /** Where the runs-by-state gauge reads its numbers at each scrape (the store). */
  countRunsWith: (count: RunCounts) => void;
}

/** Tools whose names are labels; a name the model made up counts as "other". */
const TOOLS = new Set([
  "bash",
  "str_replace_based_edit_tool",
  "search",
  "run_checks",
  "checkpoint",
  "ask_human",
  "update_plan",
  "answer_thread",
  "memory",
]);
const TOKEN_KINDS = [
  ["input_tokens", "input"],
  ["cache_read_input_tokens", "cache_read"],
  ["cache_creation_input_tokens", "cache_write"],
  ["output_tokens", "output"],
] as const;

/** The instruments, registered on `registry`; the cache share is read from `inputTokens`. */
function instruments(registry: Registry, inputTokens: Map<string, InputTokens>) {
  const reg = { registers: [registry] };
  const webhooks = new Counter({
    name: "stamina_webhook_deliveries_total",
    help: "Webhook deliveries received, by outcome: accepted, duplicate (seen before), ignored (not acted on), rejected.",
    labelNames: ["outcome"],
    ...reg,
  });
  const queueWait = new Histogram({
    name: "stamina_queue_wait_seconds",
    help: "How long a run waited in the queue before a worker claimed it.",
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    ...reg,
  });
  const takeovers = new Counter({
    name: "stamina_lease_takeovers_total",
    help: "Runs this worker took over from a worker whose lease ran out.",
    ...reg,
  });
  const runsFinished = new Counter({
    name: "stamina_runs_finished_total",
    help: "Runs ended, by outcome (the run's final state).",
    labelNames: ["outcome"],
    ...reg,
  });
  const steps = new Counter({ name: "stamina_steps_total", help: "Agent steps taken.", ...reg });
  const tokens = new Counter({
    name: "stamina_model_tokens_total",
    help: "Model tokens, by model and kind: input, cache_read, cache_write, output.",
    labelNames: ["model", "kind"],
    ...reg,
  });
  const dollars = new Counter({
    name: "stamina_model_cost_dollars_total",
    help: "Spend at the model's list price, in US dollars, by model.",
    labelNames: ["model"],
    ...reg,
  });
  new Gauge({
    name: "stamina_model_cache_read_ratio",
    help: "The share of input tokens the prompt cache served, by model, since the process started.",
    labelNames: ["model"],
    ...reg,
    collect() {
      this.reset();
      for (const [model, t] of inputTokens) {
        const all = t.input + t.cacheRead + t.cacheWrite;
        if (all > 0) this.set({ model }, t.cacheRead / all);
      }
    },
  });
  const toolCalls = new Counter({
    name: "stamina_tool_calls_total",
    help: "Tool calls, by tool and outcome (ok or error).",
    labelNames: ["tool", "outcome"],
    ...reg,
  });
  const watchdog = new Counter({
    name: "stamina_watchdog_events_total",
    help: "The watchdog's signals, nudges and pauses, by kind.",
    labelNames: ["kind"],
    ...reg,
  });
  const safety = new Counter({
    name: "stamina_safety_events_total",
    help: "Safety controls that acted, by control and outcome (blocked, held, flagged, redacted).",
    labelNames: ["control", "outcome"],
    ...reg,
  });
  const contextSize = new Histogram({
    name: "stamina_context_sent_tokens",
    help: "The context sent to the model per step, in estimated tokens.",
    buckets: [1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 150_000, 200_000, 500_000, 1_000_000],
    ...reg,
  });
  const context = new Counter({
    name: "stamina_context_reductions_total",
    help: "Context reductions, by kind: compaction or clearing.",
    labelNames: ["kind"],
    ...reg,
  });
  const apiErrors = new Counter({
    name: "stamina_api_errors_total",
    help: "GitHub and model API calls answered with an error (or not answered), by api and status class.",
    labelNames: ["api", "status"],
    ...reg,
  });
  const apiRetries = new Counter({
    name: "stamina_api_retries_total",
    help: "GitHub and model API calls sent again, by api.",
    labelNames: ["api"],
    ...reg,
  });
  return {
    webhooks,
    queueWait,
    takeovers,
    runsFinished,
    steps,
    tokens,
    dollars,
    toolCalls,
    watchdog,
    safety,
    contextSize,
    context,
    apiErrors,
    apiRetries,
  };
}

interface InputTokens {
  input: number;
  cacheRead: number;
  cacheWrite: number;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: "stamina_" });
  }
  const inputTokens = new Map<string, InputTokens>();
  const m = instruments(registry, inputTokens);
  let countRuns: RunCounts | undefined;
  new Gauge({
    name: "stamina_runs",
    help: "Runs in the database by state (queued, working, awaiting_approval, ...), read at each scrape.",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      if (countRuns === undefined) return;
      this.reset();
      for (const [state, n] of Object.entries(await countRuns())) this.set({ state }, n);
    },
  });
  // Per run while it works here: its model (for the response's tokens) and its reductions so far.
  const runs = new Map<string, { model: string; compactions: number; clearings: number }>();
  const runOf = (runId: string) => {
    let run = runs.get(runId);
    if (run === undefined)
      runs.set(runId, (run = { model: "unknown", compactions: 0, clearings: 0 }));
    return run;
  };

  return {
    registry,
    webhook: (outcome) => m.webhooks.inc({ outcome }),
    claimed(waitSeconds, takeover) {
      m.queueWait.observe(Math.max(0, waitSeconds));
      if (takeover) m.takeovers.inc();
    },
    githubError: (status) => m.apiErrors.inc({ api: "github", status: statusClass(status) }),
    githubRetry: () => m.apiRetries.inc({ api: "github" }),
    countRunsWith(count) {
      countRuns = count;
    },
    audit(runId, type, data) {
      switch (type) {
        case "model.request":
          if (typeof data.model === "string") runOf(runId).model = data.model;
          return;
        case "model.response": {
          const { model } = runOf(runId);
          m.steps.inc();
          const usage = (data.usage ?? {}) as Record<string, unknown>;
          const seen = inputTokens.get(model) ?? { input: 0, cacheRead: 0, cacheWrite: 0 };
          for (const [field, kind] of TOKEN_KINDS) {
            const n = usage[field];
            if (typeof n === "number" && n > 0) m.tokens.inc({ model, kind }, n);
          }
          seen.input += num(usage.input_tokens);
          seen.cacheRead += num(usage.cache_read_input_tokens);
          seen.cacheWrite += num(usage.cache_creation_input_tokens);
          inputTokens.set(model, seen);
          if (num(data.cost) > 0) m.dollars.inc({ model }, num(data.cost));
          return;
        }
        case "model.retry":
          m.apiRetries.inc({ api: "model" });
          m.apiErrors.inc({
            api: "model",
            status: statusClass(typeof data.status === "number" ? data.status : undefined),
          });
          return;
        case "tool.result": {
          const name = typeof data.name === "string" && TOOLS.has(data.name) ? data.name : "other";
          m.toolCalls.inc({ tool: name, outcome: data.isError === true ? "error" : "ok" });
          return;
        }
        case "watchdog.signal":
        case "watchdog.nudge":
        case "watchdog.pause":
          m.watchdog.inc({ kind: type.slice("watchdog.".length) });
          return;
        case "safety":
          m.safety.inc({ control: bounded(data.control), outcome: bounded(data.outcome) });
          return;
        case "context.health": {
          const sent = (data.sent ?? {}) as Record<string, unknown>;
          if (typeof sent.estimatedTokens === "number") m.contextSize.observe(sent.estimatedTokens);
          const run = runOf(runId);
          const compactions = num(data.compactions);
          const clearings = num(data.clearings);
          if (compactions > run.compactions)
            m.context.inc({ kind: "compaction" }, compactions - run.compactions);
          if (clearings > run.clearings)
            m.context.inc({ kind: "clearing" }, clearings - run.clearings);
          run.compactions = Math.max(run.compactions, compactions);
          run.clearings = Math.max(run.clearings, clearings);
          return;
        }
        case "run.finished":
          m.runsFinished.inc({ outcome: bounded(data.state) });
          runs.delete(runId);
          return;
        case "run.released":
        case "run.paused":
          runs.delete(runId);
          return;
      }
    },
  };
}

/**
 * Answers GET /metrics with the exposition; with a token, only to `Authorization: Bearer TOKEN`
 * (401 otherwise). Returns false for any other path, for the next handler.
 */
export function metricsHandler(
  metrics: Metrics,
  token: string | undefined,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const expected = token === undefined ? undefined : Buffer.from(`Bearer ${token}`);
  return (req, res) => {
    if (req.url?.split("?")[0] !== "/metrics") return false;
    const given = Buffer.from(req.headers.authorization ?? "");
    if (
      expected !== undefined &&
      !(given.length === expected.length && timingSafeEqual(given, expected))
    ) {
      res
        .writeHead(401, { "content-type": "text/plain", "www-authenticate": "Bearer" })
        .end("401: /metrics needs the bearer token STAMINA_METRICS_TOKEN sets\n");
      return true;
    }
    metrics.registry.metrics().then(
      (body) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(body),
      (error: unknown) =>
        res.writeHead(500, { "content-type": "text/plain" }).end(`500: ${String(error)}\n`),
    );
    return true;
  };
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** A label value from our own fixed vocabularies (states, controls, outcomes): short and plain. */
function bounded(value: unknown): string {
  return typeof value === "string" && /^[a-z_.]{1,40}$/.test(value) ? value : "other";
}

function statusClass(status: number | undefined): string {
  return status === undefined ? "unanswered" : `${Math.floor(status / 100)}xx`;
}
