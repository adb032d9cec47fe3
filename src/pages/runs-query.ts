// The runs list's filters, read from the query string and checked: a repository as owner/name,
// a state and an outcome from their lists, a page number. A bad one is a 400 page naming it and
// what it takes. Then the runs that pass, newest first, a page at a time, each with the figures
// its audit log gives.
import { runHealth, type Glance } from "../audit/health/index.ts";
import type { Run } from "../store/types.ts";
import { TERMINAL_STATES, type RunState } from "../store/schema.ts";
import type { Viewer } from "./gate.ts";
import { PageProblem } from "./layout.ts";
import { runFacts, type RunFacts } from "./run-facts.ts";
import type { PagesDeps } from "./deps.ts";

export const STATES: readonly RunState[] = [
  "queued",
  "preparing",
  "running",
  "awaiting_approval",
  "awaiting_reply",
  "finishing",
  ...TERMINAL_STATES,
];

/** How the agent's loop ended (its stop), or `none` for a run whose loop has not ended. */
export const OUTCOMES = [
  "completed",
  "out_of_budget",
  "context_window_exceeded",
  "refusal",
  "aborted",
  "paused",
  "cannot_fix",
  "no_change",
  "none",
] as const;
type Outcome = (typeof OUTCOMES)[number];

export const PAGE_SIZE = 25;

export interface RunFilters {
  repository?: string;
  state?: RunState;
  outcome?: Outcome;
  page: number;
}

export function parseFilters(query: URLSearchParams): RunFilters {
  const filters: RunFilters = { page: 1 };
  const repo = query.get("repo")?.trim();
  if (repo) {
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo)) {
      throw new PageProblem(
        400,
        `The repository filter "${repo}" is not of the form owner/name (letters, digits, "-", "_" and "." on each side of one "/"), e.g. octo-org/greeter.`,
      );
    }
    filters.repository = repo;
  }
  const state = query.get("state")?.trim();
  if (state) {
    if (!(STATES as readonly string[]).includes(state)) {
      throw new PageProblem(
        400,
        `The state filter "${state}" is not a run state; it takes one of: ${STATES.join(", ")}.`,
      );
    }
    filters.state = state as RunState;
  }
  const outcome = query.get("outcome")?.trim();
  if (outcome) {
    if (!(OUTCOMES as readonly string[]).includes(outcome)) {
      throw new PageProblem(
        400,
        `The outcome filter "${outcome}" is not an outcome; it takes one of: ${OUTCOMES.join(", ")} (none: the agent has not stopped yet).`,
      );
    }
    filters.outcome = outcome as Outcome;
  }
  const page = query.get("page")?.trim();
  if (page) {
    if (!/^[1-9]\d{0,5}$/.test(page)) {
      throw new PageProblem(
        400,
        `The page "${page}" is not a page number: give a whole number from 1.`,
      );
    }
    filters.page = Number(page);
  }
  return filters;
}

export function outcomeOf(run: Run): Outcome {
  return run.agentOutcome?.stop ?? "none";
}

export const repositoryOf = (run: Run): string => `${run.owner}/${run.repo}`;

/** The runs `viewer` may read, newest first, through `mayRead` asked once per repository. */
export async function readableRuns(deps: PagesDeps, viewer: Viewer): Promise<Run[]> {
  const runs = (await deps.store.runs.list()).reverse();
  const allowed = new Map<string, Promise<boolean>>();
  const may = (repository: string) => {
    let answer = allowed.get(repository);
    if (answer === undefined) {
      answer = deps.gate.mayRead(viewer, repository);
      allowed.set(repository, answer);
    }
    return answer;
  };
  const verdicts = await Promise.all(runs.map((run) => may(repositoryOf(run))));
  return runs.filter((_, i) => verdicts[i]);
}

export interface RunRow {
  run: Run;
  facts: RunFacts;
  glance: Glance;
}

/** A run with the figures of its audit log. */
async function runRow(deps: PagesDeps, run: Run): Promise<RunRow> {
  const events = await deps.store.audit.events(run.id);
  const finished = run.finishedAt !== null;
  return { run, facts: runFacts(events, finished, deps.now()), glance: runHealth(events).glance };
}

export async function filteredRuns(
  deps: PagesDeps,
  viewer: Viewer,
  filters: RunFilters,
): Promise<{ rows: RunRow[]; total: number }> {
  const runs = (await readableRuns(deps, viewer)).filter(
    (run) =>
      (filters.repository === undefined || repositoryOf(run) === filters.repository) &&
      (filters.state === undefined || run.state === filters.state) &&
      (filters.outcome === undefined || outcomeOf(run) === filters.outcome),
  );
  const start = (filters.page - 1) * PAGE_SIZE;
  const rows = await Promise.all(
    runs.slice(start, start + PAGE_SIZE).map((run) => runRow(deps, run)),
  );
  return { rows, total: runs.length };
}
