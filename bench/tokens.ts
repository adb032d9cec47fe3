// tokens: what the context manager costs on a long session, against the strongest fair baseline.
// One scripted session (the model reads one file after another, a couple of kilobytes each,
// brings its plan up to date every so often, and is given an issue and the repository's
// instructions) runs through the same harness against the same scripted model server, four ways:
// ours (the context manager with the repository defaults: clearing in batches and compaction on
// our side); the cached naive loop (the whole history every turn, one cache breakpoint on the
// last block, moved each request: what any harness does); the naive loop without cache_control;
// and ours with the server-side edits on (`context.server_side: true`: the API clears and
// compacts, at the repository defaults' server thresholds), under tokens.server_side.*.
//   tokens.ratio             ours / cached naive, prompt tokens billed (input, cache reads and
//                            writes, compaction iterations' input); the naive loop's prompt
//                            tokens are the same with or without caching, only their split differs
//   tokens.cost_ratio        ours / cached naive, priced with the model's price table: cache reads
//                            at 0.1 of input, writes at 1.25, output at the output price, and ours'
//                            compaction iterations as the API bills them (the whole prompt read)
//   tokens.uncached_naive.cost_ratio  ours / the naive loop without caching, priced the same way
//   tokens.retention         the share of our turns whose prompt, as the model read it (after the
//                            server's clearing and compaction), carries whole the issue, the
//                            repository's instructions, the current plan and the last 6 tool results
//   tokens.peak_request      our largest prompt as the model read it, in tokens; its target is the
//                            bound the defaults promise: the compaction trigger plus one step
//   tokens.cache_read_share  our cache reads / our prompt tokens
//   tokens.ours.compactions  our compactions: summaries the manager asked for, and requests the
//                            server compacted (each billed a compaction iteration)
// Modelled, not measured: the fake counts tokens as four characters each, not with the tokenizer;
// it keeps the prompt cache by prefix with the API's 20-block lookback but never expires it; its
// compaction summary is a stand-in (so text inside a summary never counts as carried whole), and
// the compaction iteration's input is billed as uncached input (the API's documentation does not
// say whether it reads the cache). The small form runs 80 calls instead of 300: same figures.
import type Anthropic from "@anthropic-ai/sdk";
import type { ContextSettings } from "../src/agent/context/settings.ts";
import { DEFAULT_CONTEXT_CONFIG } from "../src/policy/config.ts";
import { contextSettingsOf } from "../src/agent/config-settings.ts";
import type { RequestView } from "../src/agent/hooks.ts";
import { costOf, priceOf } from "../src/model/prices.ts";
import {
  isSummaryRequest,
  longSession,
  readableFiles,
  SESSION_INSTRUCTIONS,
  SESSION_ISSUE,
} from "../test/agent/context-session.ts";
import { agentFixture, naiveCachedView } from "../test/agent/fixture.ts";
import type { RecordedModelRequest } from "../test/support/model-server/index.ts";
import { carriesWhole, Retention } from "../test/agent/retention.ts";
import type { BenchOptions, Figure, Promised } from "./_bench.ts";

const FILES = 40;
const FILE_BYTES = 1_600;
const PLAN_EVERY = 25;
const MODEL = "claude-sonnet-5-5";
/** A step's growth at most: one call and its result, with room to spare. */
const STEP_TOKENS = 2_000;

interface Totals {
  /** Prompt tokens billed: input, cache reads and writes, compaction iterations' input. */
  prompt: number;
  read: number;
  /** Dollars, as the model's price table prices every request's billed usage. */
  dollars: number;
  peak: number;
  peakBytes: number;
  requests: number;
  compactions: number;
  /** Turns (not summary requests) whose prompt carried everything retention asks for. */
  retained: number;
  turns: number;
  stop: string;
}

/** A request's usage as billed: the answer's, plus any compaction iteration's. */
function billed(r: RecordedModelRequest): Anthropic.Usage[] {
  const answer = {
    ...r.usage!,
    output_tokens: r.outputTokens ?? 0,
  } as Anthropic.Usage;
  const compactions = (r.iterations ?? []).filter((i) => i.type === "compaction");
  return [answer, ...compactions.map((i) => ({ ...i }) as unknown as Anthropic.Usage)];
}

function totals(requests: readonly RecordedModelRequest[], stop: string): Totals {
  const price = priceOf(MODEL)!;
  const t: Totals = {
    prompt: 0,
    read: 0,
    dollars: 0,
    peak: 0,
    peakBytes: 0,
    requests: 0,
    compactions: 0,
    retained: 0,
    turns: 0,
    stop,
  };
  const retention = new Retention();
  for (const r of requests) {
    if (r.status !== 200 || r.usage === undefined) continue;
    for (const usage of billed(r)) {
      t.prompt +=
        usage.input_tokens +
        (usage.cache_read_input_tokens ?? 0) +
        (usage.cache_creation_input_tokens ?? 0);
      t.read += usage.cache_read_input_tokens ?? 0;
      t.dollars += costOf(price, usage);
    }
    const read =
      r.usage.input_tokens + r.usage.cache_read_input_tokens + r.usage.cache_creation_input_tokens;
    t.peak = Math.max(t.peak, read);
    t.peakBytes = Math.max(t.peakBytes, JSON.stringify(r.sent).length);
    t.requests += 1;
    if (r.compacted === true) t.compactions += 1;
    retention.saw(r.body.messages);
    // A summary request is the manager's own call, not a turn of the session.
    if (isSummaryRequest(r)) {
      t.compactions += 1;
      continue;
    }
    t.turns += 1;
    if (
      carriesWhole(r, retention.expected(), {
        issue: SESSION_ISSUE,
        instructions: SESSION_INSTRUCTIONS,
      })
    ) {
      t.retained += 1;
    }
  }
  return t;
}

async function session(
  calls: number,
  way: { context: Partial<ContextSettings> | false } | { view: RequestView },
): Promise<Totals> {
  const fx = agentFixture(readableFiles(FILES, FILE_BYTES), {
    model: MODEL,
    budget: { steps: calls + 50, tokens: 1_000_000_000, dollars: 10_000, minutes: 24 * 60 },
    task: SESSION_ISSUE,
    instructions: SESSION_INSTRUCTIONS,
  });
  try {
    const script = longSession({ calls, files: FILES, planEvery: PLAN_EVERY });
    const overrides = "view" in way ? { view: way.view } : { context: way.context };
    const result = await fx.run(script, overrides);
    return totals(fx.server().requests, result.stop);
  } finally {
    await fx.close();
  }
}

/** Where the defaults compact: on the server when `server_side` is on, else here. */
const DEFAULT_COMPACT_AT = DEFAULT_CONTEXT_CONFIG.server_side
  ? DEFAULT_CONTEXT_CONFIG.server_compact_at
  : DEFAULT_CONTEXT_CONFIG.compact_at;

export const figures: readonly Promised[] = [
  { name: "tokens.ratio", unit: "ratio", target: { atMost: 0.15 } },
  { name: "tokens.cost_ratio", unit: "ratio", target: { atMost: 0.3 } },
  { name: "tokens.uncached_naive.cost_ratio", unit: "ratio" },
  { name: "tokens.retention", unit: "ratio" },
  // Measured; its target is a bound from the settings: compaction's trigger plus one step's growth.
  {
    name: "tokens.peak_request",
    unit: "tokens",
    target: { atMost: DEFAULT_COMPACT_AT + STEP_TOKENS },
  },
  { name: "tokens.peak_request_bytes", unit: "bytes" },
  { name: "tokens.cache_read_share", unit: "ratio" },
  { name: "tokens.ours.total", unit: "tokens" },
  { name: "tokens.ours.requests", unit: "requests" },
  { name: "tokens.ours.compactions", unit: "requests" },
  { name: "tokens.naive.total", unit: "tokens" },
  { name: "tokens.naive.peak_request", unit: "tokens" },
  { name: "tokens.naive.requests", unit: "requests" },
  { name: "tokens.naive.cache_read_share", unit: "ratio" },
  { name: "tokens.server_side.ratio", unit: "ratio" },
  { name: "tokens.server_side.cost_ratio", unit: "ratio" },
  { name: "tokens.server_side.retention", unit: "ratio" },
  { name: "tokens.server_side.cache_read_share", unit: "ratio" },
  { name: "tokens.server_side.peak_request", unit: "tokens" },
  { name: "tokens.server_side.compactions", unit: "requests" },
];

export async function run(options: BenchOptions): Promise<Figure[]> {
  const calls = options.small ? 80 : 300;
  const defaults = contextSettingsOf(DEFAULT_CONTEXT_CONFIG);
  const ours = await session(calls, { context: defaults });
  const naive = await session(calls, { view: naiveCachedView });
  const uncached = await session(calls, { context: false });
  // The same manager with the server-side edits on (the API clears and compacts, at the defaults'
  // server thresholds): what the cache makes of the other way of clearing.
  const server = await session(calls, { context: { ...defaults, serverSide: true } });
  for (const [name, t] of Object.entries({ ours, naive, uncached, server })) {
    if (t.stop !== "completed") throw new Error(`the ${name} session stopped: ${t.stop}`);
  }
  const figure = (name: string, value: number, unit: string): Figure => ({ name, value, unit });
  return [
    figure("tokens.ratio", ours.prompt / naive.prompt, "ratio"),
    figure("tokens.cost_ratio", ours.dollars / naive.dollars, "ratio"),
    figure("tokens.uncached_naive.cost_ratio", ours.dollars / uncached.dollars, "ratio"),
    figure("tokens.retention", ours.retained / ours.turns, "ratio"),
    figure("tokens.peak_request", ours.peak, "tokens"),
    figure("tokens.peak_request_bytes", ours.peakBytes, "bytes"),
    figure("tokens.cache_read_share", ours.read / ours.prompt, "ratio"),
    figure("tokens.ours.total", ours.prompt, "tokens"),
    figure("tokens.ours.requests", ours.requests, "requests"),
    figure("tokens.ours.compactions", ours.compactions, "requests"),
    figure("tokens.naive.total", naive.prompt, "tokens"),
    figure("tokens.naive.peak_request", naive.peak, "tokens"),
    figure("tokens.naive.requests", naive.requests, "requests"),
    figure("tokens.naive.cache_read_share", naive.read / naive.prompt, "ratio"),
    figure("tokens.server_side.ratio", server.prompt / naive.prompt, "ratio"),
    figure("tokens.server_side.cost_ratio", server.dollars / naive.dollars, "ratio"),
    figure("tokens.server_side.retention", server.retained / server.turns, "ratio"),
    figure("tokens.server_side.cache_read_share", server.read / server.prompt, "ratio"),
    figure("tokens.server_side.peak_request", server.peak, "tokens"),
    figure("tokens.server_side.compactions", server.compactions, "requests"),
  ];
}
