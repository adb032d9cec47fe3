// The runs list: one row per run (repository, issue or pull request, kind, state, phase,
// steps, tokens, dollars, duration, outcome, health at a glance), the filters as a form that
// submits to itself, and links to the pages before and after.
import type { Glance } from "../audit/health/index.ts";
import { markup, type Html } from "./html.ts";
import { page } from "./layout.ts";
import { formatDuration } from "./run-facts.ts";
import {
  OUTCOMES,
  outcomeOf,
  PAGE_SIZE,
  repositoryOf,
  STATES,
  type RunFilters,
  type RunRow,
} from "./runs-query.ts";

export function glanceCell(glance: Glance): Html {
  return markup`<span class="glance-${glance.level}" title="${glance.reasons.join("; ")}"
      >${glance.level}</span
    >${glance.reasons.length > 0 ? markup` <span class="muted">${glance.reasons[0]}</span>` : ""}`;
}

/** The issue or the pull request a run works on, linked to its run page. */
export function subjectOf(row: RunRow["run"]): string {
  if (row.kind === "follow_up" && row.pullNumber !== null) return `PR #${row.pullNumber}`;
  return `#${row.issueNumber}`;
}

function runLine({ run, facts, glance }: RunRow): Html {
  return markup`<tr data-run="${run.id}">
    <td>${repositoryOf(run)}</td>
    <td>
      <a href="/runs/${run.id}">${subjectOf(run)}</a> <span class="muted">${run.issueTitle}</span>
    </td>
    <td>${run.kind}</td>
    <td class="state">${run.state}</td>
    <td>${facts.phase ?? "—"}</td>
    <td class="num">${facts.steps}</td>
    <td class="num">${facts.tokens.toLocaleString("en-US")}</td>
    <td class="num">$${facts.dollars.toFixed(2)}</td>
    <td class="num">${formatDuration(facts.durationMs)}</td>
    <td class="outcome" title="${run.outcome ?? ""}">${outcomeOf(run)}</td>
    <td class="glance">${glanceCell(glance)}</td>
  </tr>`;
}

function select(name: string, values: readonly string[], chosen: string | undefined): Html {
  return markup`<select name="${name}">
    <option value="">any</option>
    ${values.map(
      (v) => markup`<option value="${v}" ${v === chosen ? markup` selected` : ""}>${v}</option>`,
    )}
  </select>`;
}

function link(filters: RunFilters, pageNumber: number): string {
  const q = new URLSearchParams();
  if (filters.repository) q.set("repo", filters.repository);
  if (filters.state) q.set("state", filters.state);
  if (filters.outcome) q.set("outcome", filters.outcome);
  if (pageNumber > 1) q.set("page", String(pageNumber));
  const text = q.toString();
  return text ? `/runs?${text}` : "/runs";
}

export function listPage(filters: RunFilters, rows: RunRow[], total: number): Html {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const body = markup`<h1>Runs</h1>
    <form class="filters" method="get" action="/runs">
      <label
        >Repository <input name="repo" placeholder="owner/name" value="${filters.repository ?? ""}"
      /></label>
      <label>State ${select("state", STATES, filters.state)}</label>
      <label>Outcome ${select("outcome", OUTCOMES, filters.outcome)}</label>
      <button type="submit">Filter</button> <a href="/runs">clear</a>
    </form>
    <p class="muted" id="count">
      ${total} run${total === 1 ? "" : "s"}; page ${filters.page} of ${pages}
    </p>
    <table id="runs">
      <thead>
        <tr>
          <th>Repository</th>
          <th>Issue or PR</th>
          <th>Kind</th>
          <th>State</th>
          <th>Phase</th>
          <th>Steps</th>
          <th>Tokens</th>
          <th>Dollars</th>
          <th>Duration</th>
          <th>Outcome</th>
          <th>Health</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(runLine)}
      </tbody>
    </table>
    ${rows.length === 0 ? markup`<p>No run matches these filters.</p>` : ""}
    <nav class="pager">
      ${filters.page > 1 ? markup`<a rel="prev" href="${link(filters, filters.page - 1)}">← newer</a>` : ""}
      ${filters.page < pages ? markup`<a rel="next" href="${link(filters, filters.page + 1)}">older →</a>` : ""}
    </nav>`;
  return page("Runs", body);
}
