// The overview across runs: runs by outcome per day, cost per day and per repository, the runs
// that need a person (awaiting a reply or an approval), and the least healthy runs still going.
// Its figures are also in the page as JSON (#overview-data), as the run page's charts are.
import { runHealth, type Glance } from "../audit/health/index.ts";
import type { AuditEvent } from "../audit/types.ts";
import { TERMINAL_STATES } from "../store/schema.ts";
import type { Run } from "../store/types.ts";
import type { PagesDeps } from "./deps.ts";
import type { Viewer } from "./gate.ts";
import { markup, jsonScript, type Html } from "./html.ts";
import { page } from "./layout.ts";
import { glanceCell, subjectOf } from "./list-page.ts";
import { outcomeOf, readableRuns, repositoryOf } from "./runs-query.ts";

export interface Overview {
  /** Per day (the run's creation, UTC), how many runs of each outcome. */
  outcomesByDay: Array<{ day: string; outcomes: Record<string, number> }>;
  /** Dollars spent per day (when each model response came) and per repository. */
  costByDay: Array<{ day: string; dollars: number }>;
  costByRepository: Array<{ repository: string; dollars: number }>;
  needPerson: Array<{ id: string; repository: string; subject: string; state: string }>;
  leastHealthy: Array<{ id: string; repository: string; subject: string; glance: Glance }>;
}

const LEVEL = { unhealthy: 0, watch: 1, healthy: 2 } as const;
const day = (iso: string) => iso.slice(0, 10);

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

function overviewOf(runs: ReadonlyArray<{ run: Run; events: readonly AuditEvent[] }>): Overview {
  const outcomes = new Map<string, Record<string, number>>();
  const byDay = new Map<string, number>();
  const byRepo = new Map<string, number>();
  const needPerson: Overview["needPerson"] = [];
  const health: Overview["leastHealthy"] = [];
  for (const { run, events } of runs) {
    const counts = outcomes.get(day(run.createdAt)) ?? {};
    const outcome = outcomeOf(run);
    counts[outcome] = (counts[outcome] ?? 0) + 1;
    outcomes.set(day(run.createdAt), counts);
    for (const e of events) {
      if (e.type !== "model.response" || typeof e.data.cost !== "number") continue;
      add(byDay, day(e.ts), e.data.cost);
      add(byRepo, repositoryOf(run), e.data.cost);
    }
    const about = { id: run.id, repository: repositoryOf(run), subject: subjectOf(run) };
    if (run.state === "awaiting_reply" || run.state === "awaiting_approval") {
      needPerson.push({ ...about, state: run.state });
    }
    if (!TERMINAL_STATES.includes(run.state)) {
      health.push({ ...about, glance: runHealth(events).glance });
    }
  }
  const sorted = <T>(map: Map<string, T>) =>
    [...map.entries()].sort(([a], [b]) => a.localeCompare(b));
  return {
    outcomesByDay: sorted(outcomes).map(([d, o]) => ({ day: d, outcomes: o })),
    costByDay: sorted(byDay).map(([d, dollars]) => ({ day: d, dollars })),
    costByRepository: sorted(byRepo).map(([repository, dollars]) => ({ repository, dollars })),
    needPerson,
    leastHealthy: health
      .sort(
        (a, b) =>
          LEVEL[a.glance.level] - LEVEL[b.glance.level] ||
          b.glance.reasons.length - a.glance.reasons.length,
      )
      .slice(0, 10),
  };
}

export async function readOverview(deps: PagesDeps, viewer: Viewer): Promise<Overview> {
  const runs = await readableRuns(deps, viewer);
  const withEvents = await Promise.all(
    runs.map(async (run) => ({ run, events: await deps.store.audit.events(run.id) })),
  );
  return overviewOf(withEvents);
}

const runLink = (r: { id: string; repository: string; subject: string }) =>
  markup`<a href="/runs/${r.id}">${r.repository} ${r.subject}</a>`;

export function overviewPage(o: Overview): Html {
  const outcomeNames = [...new Set(o.outcomesByDay.flatMap((d) => Object.keys(d.outcomes)))].sort();
  const body = markup`<h1>Overview</h1>
    ${jsonScript("overview-data", o)}
    <section>
      <h2>Runs that need a person</h2>
      ${
        o.needPerson.length === 0
          ? markup`<p class="muted">None: no run waits for a reply or an approval.</p>`
          : markup`<ul id="need-person">
              ${o.needPerson.map((r) => markup`<li>${runLink(r)}: ${r.state}</li>`)}
            </ul>`
      }
    </section>
    <section>
      <h2>Least healthy runs now</h2>
      ${
        o.leastHealthy.length === 0
          ? markup`<p class="muted">No run is going.</p>`
          : markup`<ul id="least-healthy">
              ${o.leastHealthy.map((r) => markup`<li>${runLink(r)}: ${glanceCell(r.glance)}</li>`)}
            </ul>`
      }
    </section>
    <section>
      <h2>Runs by outcome, per day</h2>
      <table>
        <thead>
          <tr>
            <th>Day</th>
            ${outcomeNames.map((n) => markup`<th>${n}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${o.outcomesByDay.map(
            (d) =>
              markup`<tr>
                <td>${d.day}</td>
                ${outcomeNames.map((n) => markup`<td class="num">${d.outcomes[n] ?? 0}</td>`)}
              </tr>`,
          )}
        </tbody>
      </table>
    </section>
    <section>
      <h2>Cost per day</h2>
      <table>
        <tbody>
          ${o.costByDay.map(
            (d) =>
              markup`<tr>
                <td>${d.day}</td>
                <td class="num">$${d.dollars.toFixed(2)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>
    <section>
      <h2>Cost per repository</h2>
      <table>
        <tbody>
          ${o.costByRepository.map(
            (d) =>
              markup`<tr>
                <td>
                  <a href="/runs?repo=${encodeURIComponent(d.repository)}">${d.repository}</a>
                </td>
                <td class="num">$${d.dollars.toFixed(2)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>`;
  return page("Overview", body);
}
