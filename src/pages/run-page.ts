// One run's page: what it is and how it stands, the AI-health charts (each chart's series in
// the page as JSON, drawn by charts.js with uPlot), the audit chain's check, verification, the
// plan as it changed, the checkpoints, and the live timeline (run-page.js follows the event
// stream and appends what the worker records, filtered by kind).
import { runHealth, type RunHealth } from "../audit/health/index.ts";
import type { AuditPublicKey } from "../audit/signing.ts";
import type { AuditEvent } from "../audit/types.ts";
import type { Run } from "../store/types.ts";
import { markup, jsonScript, type Html } from "./html.ts";
import { page } from "./layout.ts";
import { glanceCell, subjectOf } from "./list-page.ts";
import { formatDuration, runFacts } from "./run-facts.ts";
import {
  chainSection,
  checkpointsSection,
  planSection,
  verificationSection,
} from "./run-sections.ts";
import { outcomeOf, repositoryOf } from "./runs-query.ts";
import { kindFilters, timelineItem, timelineRow } from "./timeline.ts";

/** The timeline rows a page starts with: the latest ones; a long run's earlier ones are in its log. */
const TIMELINE_ROWS = 1_000;

export interface RunPageInput {
  run: Run;
  events: readonly AuditEvent[];
  latestDiff: { step: number; baseSha: string; diff: Buffer } | undefined;
  now: number;
  auditKey?: AuditPublicKey;
}

function chartsSection(health: RunHealth): Html {
  return markup`<section>
    <h2>AI health</h2>
    <p>At a glance: ${glanceCell(health.glance)}</p>
    ${jsonScript("health-data", health)}
    <div class="charts">
      ${health.charts.map(
        (chart) =>
          markup`<div class="chart" data-chart="${chart.id}">
            <h3>${chart.title} <span class="muted">(${chart.unit})</span></h3>
            <div class="plot" id="chart-${chart.id}"></div>
          </div>`,
      )}
    </div>
  </section>`;
}

export function runPage(input: RunPageInput): Html {
  const { run, events } = input;
  const facts = runFacts(events, run.finishedAt !== null, input.now);
  const health = runHealth(events);
  const last = events.at(-1)?.seq ?? 0;
  const body = markup`<h1>${repositoryOf(run)} ${subjectOf(run)}: ${run.issueTitle}</h1>
    <table class="facts">
      <tbody>
        <tr>
          <th>Run</th>
          <td><code>${run.id}</code> (${run.kind}${run.dryRun ? ", dry run" : ""})</td>
          <th>State</th>
          <td id="state">${run.state}</td>
          <th>Phase</th>
          <td>${facts.phase ?? "—"}</td>
        </tr>
        <tr>
          <th>Steps</th>
          <td>${facts.steps}</td>
          <th>Tokens</th>
          <td>${facts.tokens.toLocaleString("en-US")}</td>
          <th>Dollars</th>
          <td>$${facts.dollars.toFixed(2)}</td>
        </tr>
        <tr>
          <th>Duration</th>
          <td>${formatDuration(facts.durationMs)}</td>
          <th>Outcome</th>
          <td>
            ${outcomeOf(run)}${run.outcome ? markup` <span class="muted">${run.outcome}</span>` : ""}
          </td>
          <th>Pull request</th>
          <td>
            ${run.pullUrl ? markup`<a href="${safeUrl(run.pullUrl)}">#${run.pullNumber}</a>` : "—"}
          </td>
        </tr>
      </tbody>
    </table>
    <p>
      <a id="download" href="/runs/${run.id}/audit.jsonl" download
        >Download the audit log (JSONL)</a
      >
      · ${events.length} events
    </p>
    ${chartsSection(health)} ${chainSection(run.id)} ${verificationSection(events)}
    ${planSection(events)} ${checkpointsSection(events, input.latestDiff)}
    <section>
      <h2>Timeline <span class="muted" id="live">live</span></h2>
      ${kindFilters()} ${jsonScript("run-data", { id: run.id, lastSeq: last })}
      ${
        events.length > TIMELINE_ROWS
          ? markup`<p class="muted" id="earlier">
            ${events.length - TIMELINE_ROWS} earlier events are in the audit log's download.
          </p>`
          : ""
      }
      <div id="timeline">${events.slice(-TIMELINE_ROWS).map((e) => timelineRow(timelineItem(e)))}</div>
    </section>`;
  return page(`${repositoryOf(run)} ${subjectOf(run)}`, body, {
    scripts: ["uPlot.iife.min.js", "charts.js", "run-page.js"],
    styles: ["uPlot.min.css"],
  });
}

/** Only http(s) links: a stored URL of another scheme (javascript:) is shown as no link. */
function safeUrl(url: string): string {
  return /^https?:\/\//.test(url) ? url : "#";
}
