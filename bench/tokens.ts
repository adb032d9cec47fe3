// tokens: what the context manager saves on a long session. One scripted session of 300 tool
// calls (the model reads one file after another, a couple of kilobytes each) runs twice through
// the same harness against the same scripted model server, which bills the prompt cache by
// prefix and runs the server-side edits as the API does: once through the context manager with
// the repository defaults, once as a naive loop sending the whole history every turn, and once
// more through the manager with the server-side edits off (clearing in batches on our side,
// compaction at 20,000 tokens), printed under tokens.client_side.*.
//   tokens.ratio            ours / naive, prompt tokens in total (input + cache reads + writes)
//   tokens.peak_request     our largest prompt, in tokens as the server counted it
//   tokens.cost_ratio       ours / naive, priced: cache reads at 0.1, writes at 1.25
//   tokens.cache_read_share our cache reads / our prompt tokens
import type { ContextSettings } from "../src/agent/context/settings.ts";
import { DEFAULT_CONTEXT_CONFIG } from "../src/policy/config.ts";
import { contextSettingsOf } from "../src/agent/config-settings.ts";
import { longSession, readableFiles } from "../test/agent/context-session.ts";
import { agentFixture } from "../test/agent/fixture.ts";
import type { RecordedModelRequest } from "../test/support/model-server/index.ts";
import type { BenchOptions, Figure, Promised } from "./_bench.ts";

const CALLS = 300;
const FILES = 40;
const FILE_BYTES = 1_600;
const MODEL = "claude-sonnet-5-5";
/** The client-side variant compacts here: as small a context as the server-side default keeps. */
const CLIENT_COMPACT_AT = 20_000;
/** A step's growth at most: one call and its result, with room to spare. */
const STEP_TOKENS = 2_000;

interface Totals {
  input: number;
  read: number;
  write: number;
  prompt: number;
  peak: number;
  peakBytes: number;
  requests: number;
  stop: string;
}

function totals(requests: readonly RecordedModelRequest[], stop: string): Totals {
  const t: Totals = {
    input: 0,
    read: 0,
    write: 0,
    prompt: 0,
    peak: 0,
    peakBytes: 0,
    requests: 0,
    stop,
  };
  for (const r of requests) {
    if (r.status !== 200 || r.usage === undefined) continue;
    const prompt =
      r.usage.input_tokens + r.usage.cache_read_input_tokens + r.usage.cache_creation_input_tokens;
    t.input += r.usage.input_tokens;
    t.read += r.usage.cache_read_input_tokens;
    t.write += r.usage.cache_creation_input_tokens;
    t.prompt += prompt;
    t.peak = Math.max(t.peak, prompt);
    t.peakBytes = Math.max(t.peakBytes, JSON.stringify(r.sent).length);
    t.requests += 1;
  }
  return t;
}

async function session(context: Partial<ContextSettings> | false): Promise<Totals> {
  const fx = agentFixture(readableFiles(FILES, FILE_BYTES), {
    model: MODEL,
    budget: { steps: CALLS + 50, tokens: 1_000_000_000, dollars: 10_000, minutes: 24 * 60 },
  });
  try {
    const result = await fx.run(longSession({ calls: CALLS, files: FILES }), {
      context,
    });
    return totals(fx.server().requests, result.stop);
  } finally {
    await fx.close();
  }
}

const cost = (t: Totals) => t.input + 0.1 * t.read + 1.25 * t.write;

export const figures: readonly Promised[] = [
  { name: "tokens.ratio", unit: "ratio", target: { atMost: 0.15 } },
  // A fixed ceiling, not a measurement: compaction's trigger plus one step's growth.
  {
    name: "tokens.peak_request",
    unit: "tokens",
    target: { atMost: DEFAULT_CONTEXT_CONFIG.compact_at + STEP_TOKENS },
  },
  { name: "tokens.peak_request_bytes", unit: "bytes" },
  { name: "tokens.cost_ratio", unit: "ratio", target: { atMost: 0.3 } },
  { name: "tokens.cache_read_share", unit: "ratio" },
  { name: "tokens.ours.total", unit: "tokens" },
  { name: "tokens.naive.total", unit: "tokens" },
  { name: "tokens.naive.peak_request", unit: "tokens" },
  { name: "tokens.ours.requests", unit: "requests" },
  { name: "tokens.client_side.ratio", unit: "ratio" },
  { name: "tokens.client_side.cost_ratio", unit: "ratio" },
  { name: "tokens.client_side.cache_read_share", unit: "ratio" },
  { name: "tokens.client_side.peak_request", unit: "tokens" },
  { name: "tokens.naive.requests", unit: "requests" },
];

export async function run(_options: BenchOptions): Promise<Figure[]> {
  const defaults = contextSettingsOf(DEFAULT_CONTEXT_CONFIG);
  const ours = await session(defaults);
  const naive = await session(false);
  // The same manager with the server-side edits off (clearing here, in batches) and compaction at
  // a size that meets the same token target: what the cache makes of either way of clearing.
  const client = await session({ ...defaults, serverSide: false, compactAt: CLIENT_COMPACT_AT });
  for (const [name, t] of Object.entries({ ours, naive, client })) {
    if (t.stop !== "completed") throw new Error(`the ${name} session stopped: ${t.stop}`);
  }
  return [
    { name: "tokens.ratio", value: ours.prompt / naive.prompt, unit: "ratio" },
    { name: "tokens.peak_request", value: ours.peak, unit: "tokens" },
    { name: "tokens.peak_request_bytes", value: ours.peakBytes, unit: "bytes" },
    { name: "tokens.cost_ratio", value: cost(ours) / cost(naive), unit: "ratio" },
    { name: "tokens.cache_read_share", value: ours.read / ours.prompt, unit: "ratio" },
    { name: "tokens.ours.total", value: ours.prompt, unit: "tokens" },
    { name: "tokens.naive.total", value: naive.prompt, unit: "tokens" },
    { name: "tokens.naive.peak_request", value: naive.peak, unit: "tokens" },
    { name: "tokens.ours.requests", value: ours.requests, unit: "requests" },
    { name: "tokens.client_side.ratio", value: client.prompt / naive.prompt, unit: "ratio" },
    { name: "tokens.client_side.cost_ratio", value: cost(client) / cost(naive), unit: "ratio" },
    {
      name: "tokens.client_side.cache_read_share",
      value: client.read / client.prompt,
      unit: "ratio",
    },
    { name: "tokens.client_side.peak_request", value: client.peak, unit: "tokens" },
    { name: "tokens.naive.requests", value: naive.requests, unit: "requests" },
  ];
}
