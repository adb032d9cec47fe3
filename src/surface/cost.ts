// What a pull request's work cost, in plain sight: tokens (input with what the
// prompt cache read and wrote, and output) and dollars, for the pull request
// so far and for each round (the run that opened it, then each review
// round), with the date of the price table the dollars come from. One
// formatter for the three places that show it: the tracking comment, the pull
// request's body and the "Stamina" check's summary.
import type { AgentUsage, Spent } from "../agent/ports.ts";
import { addTokens, NO_TOKENS, type TokenCounts } from "../audit/tokens-text.ts";
import { PRICES_DATE } from "../model/prices.ts";
import type { Store } from "../store/store.ts";
import type { Run } from "../store/types.ts";

export interface Cost {
  tokens: TokenCounts;
  dollars: number;
}

/** A round of the pull request's work and what it cost. */
interface RoundCost {
  runId: string;
  /** "the run", "review round 2". */
  name: string;
  cost: Cost;
}

export interface CostReport {
  total: Cost;
  rounds: RoundCost[];
  /** The round the text is written for (the run under way), when it is one of them. */
  current: string;
}

/** Where the pull request body's cost lines are, so a review round can bring them up to date. */
const COST_START = "<!-- stamina:cost -->";
const COST_END = "<!-- /stamina:cost -->";

/** What the loop's state (or outcome) counted. */
export function costOf(state: { usage: AgentUsage; spent: Pick<Spent, "dollars"> }): Cost {
  const { usage } = state;
  return {
    tokens: {
      input: usage.inputTokens,
      cacheRead: usage.cacheReadTokens,
      cacheWrite: usage.cacheWriteTokens,
      output: usage.outputTokens,
    },
    dollars: state.spent.dollars,
  };
}

/**
 * What the pull request of `run` cost so far, round by round. `live`: what the run under way has
 * spent as its last step counted it, until its outcome is stored; `stored`: the other runs' spend
 * read before (it does not change while this run works). A run that a retry continues is counted
 * in the retry, which carries its spend on.
 */
export async function pullRequestCost(
  store: Store,
  run: Run,
  known: { live?: Cost | undefined; stored?: Map<string, Cost> } = {},
): Promise<CostReport> {
  const runs =
    run.pullNumber === null ? [run] : await store.runs.ofPull(run.owner, run.repo, run.pullNumber);
  if (!runs.some((r) => r.id === run.id)) runs.push(run);
  const continued = new Set(runs.map((r) => r.continues).filter((id) => id !== null));
  const rounds: RoundCost[] = [];
  let reviews = 0;
  for (const r of runs) {
    if (continued.has(r.id)) continue;
    const name = r.kind === "follow_up" ? `review round ${++reviews}` : "the issue's run";
    const cost =
      r.id === run.id && run.agentOutcome !== null
        ? costOf(run.agentOutcome)
        : r.id === run.id && known.live !== undefined
          ? known.live
          : (known.stored?.get(r.id) ?? (await storedCost(store, r)));
    known.stored?.set(r.id, cost);
    rounds.push({ runId: r.id, name, cost });
  }
  const total = rounds.reduce(
    (sum, r) => ({
      tokens: addTokens(sum.tokens, r.cost.tokens),
      dollars: sum.dollars + r.cost.dollars,
    }),
    { tokens: NO_TOKENS, dollars: 0 },
  );
  return { total, rounds, current: run.id };
}

/**
 * The cost lines of the run under way, written again at each stage: its own spend as its last
 * step counted it (`stepped`), the other rounds' read once.
 */
export function liveCost(store: Store): {
  stepped: (state: { usage: AgentUsage; spent: Pick<Spent, "dollars"> }) => void;
  lines: (run: Run) => Promise<string[]>;
} {
  let live: Cost | undefined;
  const stored = new Map<string, Cost>();
  return {
    stepped: (state) => {
      live = costOf(state);
    },
    lines: async (run) => costLines(await pullRequestCost(store, run, { live, stored })),
  };
}

/** A run's spend as it was stored: its outcome, else its last checkpoint, else nothing yet. */
async function storedCost(store: Store, run: Run): Promise<Cost> {
  if (run.agentOutcome !== null) return costOf(run.agentOutcome);
  const checkpoint = await store.checkpoints.load(run.id);
  return checkpoint ? costOf(checkpoint.state) : { tokens: NO_TOKENS, dollars: 0 };
}

/**
 * "**Cost so far:** 1.2M input tokens (1.1M cache read, 40k cache write), 12k output, $3.41
 * (prices of 2026-11-22)." and, once the pull request had more than one round, the current one's;
 * nothing before the first model call.
 */
export function costLines(report: CostReport): string[] {
  // Before the first model call there is nothing to weigh: a run that failed at its setup.
  const { tokens, dollars } = report.total;
  if (dollars === 0 && tokens.input + tokens.cacheRead + tokens.cacheWrite + tokens.output === 0) {
    return [];
  }
  const lines = [`**Cost so far:** ${costText(report.total)}.`];
  const current = report.rounds.find((r) => r.runId === report.current);
  if (report.rounds.length > 1 && current !== undefined) {
    lines.push(`**This round** (${current.name}): ${costText(current.cost)}.`);
  }
  return lines;
}

/** The pull request body's cost lines: the total, then every round's. */
export function costSection(report: CostReport): string {
  const rounds =
    report.rounds.length > 1
      ? ["", ...report.rounds.map((r) => `- ${capital(r.name)}: ${costText(r.cost)}.`)]
      : [];
  return [COST_START, `**Cost so far:** ${costText(report.total)}.`, ...rounds, COST_END].join(
    "\n",
  );
}

/** `body` with its cost section replaced, or put before `before` (a heading) when it has none. */
export function withCostSection(body: string, section: string, before: string): string {
  const start = body.indexOf(COST_START);
  const end = body.indexOf(COST_END, start);
  if (start >= 0 && end > start) {
    return body.slice(0, start) + section + body.slice(end + COST_END.length);
  }
  const at = body.indexOf(`\n${before}\n`);
  if (at < 0) return `${body.trimEnd()}\n\n${section}`;
  return `${body.slice(0, at).trimEnd()}\n\n${section}\n${body.slice(at)}`;
}

function costText({ tokens: t, dollars }: Cost): string {
  const input = t.input + t.cacheRead + t.cacheWrite;
  return [
    `${compact(input)} input tokens (${compact(t.cacheRead)} cache read, ${compact(t.cacheWrite)} cache write)`,
    `${compact(t.output)} output`,
    `${usd(dollars)} (prices of ${PRICES_DATE})`,
  ].join(", ");
}

/** 950, 1.2k, 40k, 1.2M: two or three figures, enough to weigh a cost. */
function compact(n: number): string {
  const units: Array<[number, string]> = [
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  for (const [size, unit] of units) {
    if (n < size) continue;
    const value = n / size;
    return `${value < 10 ? Math.round(value * 10) / 10 : Math.round(value)}${unit}`;
  }
  return String(Math.round(n));
}

function usd(dollars: number): string {
  if (dollars > 0 && dollars < 0.01) return "under $0.01";
  return `$${dollars.toFixed(2)}`;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
