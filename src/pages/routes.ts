// The run pages as one route of the app's server (Probot's addHandler): /runs (the list),
// /runs/overview, /runs/ID (a run), /runs/ID/events (its live stream), /runs/ID/chain (its
// chain check), /runs/ID/audit.jsonl (its log) and /runs/assets/* (the pages' scripts and uPlot). Every page but the assets asks
// the gate first; a run is shown only when the gate says its viewer may read its repository.
import type { IncomingMessage, ServerResponse } from "node:http";
import { toJsonl } from "../audit/verify.ts";
import type { AuditPublicKey } from "../audit/signing.ts";
import { serveAsset } from "./assets.ts";
import type { PagesDeps } from "./deps.ts";
import type { Viewer } from "./gate.ts";
import { PageProblem, sendHtml, sendProblem } from "./layout.ts";
import { listPage } from "./list-page.ts";
import { overviewPage, readOverview } from "./overview.ts";
import { runPage } from "./run-page.ts";
import { chainCheck } from "./run-sections.ts";
import { filteredRuns, parseFilters, repositoryOf } from "./runs-query.ts";
import { resumeFrom, streamEvents } from "./events-stream.ts";

/**
 * A request handler (true when it answered the request, false to leave it to the next one), and
 * `close`, which ends the live streams still open: a stopping server waits for every open
 * connection, and a page left open in a browser would hold it forever.
 */
export type PageRoute = ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) & {
  close(): void;
};

const RUN_ID = /^[A-Za-z0-9_-]{1,100}$/;

export function pageRoutes(deps: PagesDeps & { auditKey?: AuditPublicKey }): PageRoute {
  const streams = new Set<ServerResponse>();
  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://pages.invalid");
    const path = url.pathname;
    if (path !== "/runs" && !path.startsWith("/runs/")) return false;
    try {
      if (path.startsWith("/runs/assets/")) {
        serveAsset(path.slice("/runs/assets/".length), res);
        return true;
      }
      if (req.method !== "GET" && req.method !== "HEAD") {
        throw new PageProblem(
          405,
          `The run pages are read-only: ${req.method ?? "this method"} is not answered here, only GET.`,
        );
      }
      const viewer = await deps.gate.admit(req, res);
      if (viewer === null) return true;
      await answer({ ...deps, streams }, viewer, path, url.searchParams, req, res);
    } catch (error) {
      if (error instanceof PageProblem) {
        sendProblem(res, error.status, error.message);
      } else {
        deps.log.error({ err: error, path }, "a run page failed");
        if (!res.headersSent) {
          sendProblem(res, 500, "The page could not be built; the server's log says why.");
        } else res.end();
      }
    }
    return true;
  };
  return Object.assign(route, {
    close() {
      for (const stream of streams) stream.end();
      streams.clear();
    },
  });
}

async function answer(
  deps: PagesDeps & { auditKey?: AuditPublicKey; streams: Set<ServerResponse> },
  viewer: Viewer,
  path: string,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const head = req.method === "HEAD";
  if (path === "/runs" || path === "/runs/") {
    const filters = parseFilters(query);
    const { rows, total } = await filteredRuns(deps, viewer, filters);
    sendHtml(res, 200, listPage(filters, rows, total), head);
    return;
  }
  if (path === "/runs/overview") {
    sendHtml(res, 200, overviewPage(await readOverview(deps, viewer)), head);
    return;
  }
  const [, , id = "", rest, ...more] = path.split("/");
  const run = RUN_ID.test(id) && more.length === 0 ? await deps.store.runs.get(id) : undefined;
  if (run === undefined) {
    throw new PageProblem(
      404,
      `There is no run ${id ? `"${id}"` : "at this address"}: it may have been purged with its installation, or the address is mistyped. The list of runs is at /runs.`,
    );
  }
  if (!(await deps.gate.mayRead(viewer, repositoryOf(run)))) {
    throw new PageProblem(
      403,
      `You cannot read ${repositoryOf(run)} on GitHub, so its runs are not shown to you.`,
    );
  }
  if (rest === undefined || rest === "") {
    const events = await deps.store.audit.events(run.id);
    const latestDiff = await deps.store.checkpoints.latestDiff(run.id);
    const content = runPage({ run, events, latestDiff, now: deps.now(), auditKey: deps.auditKey });
    sendHtml(res, 200, content, head);
  } else if (rest === "events") {
    deps.streams.add(res);
    res.on("close", () => deps.streams.delete(res));
    streamEvents(deps, run.id, resumeFrom(req, query), req, res);
  } else if (rest === "chain") {
    const events = await deps.store.audit.events(run.id);
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    res.end(head ? undefined : JSON.stringify(chainCheck(events, deps.auditKey)));
  } else if (rest === "audit.jsonl") {
    const events = await deps.store.audit.events(run.id);
    res.writeHead(200, {
      "content-type": "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="stamina-audit-${run.id}.jsonl"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    res.end(head ? undefined : toJsonl(events));
  } else {
    throw new PageProblem(
      404,
      `A run's page has no part "${rest}": there are the page itself, /events, /chain and /audit.jsonl.`,
    );
  }
}
