// The frame of every run page (title, navigation, the stylesheet) and how a page is sent,
// including the pages that refuse: 400, 403, 404 and 500, each saying why in words.
import type { ServerResponse } from "node:http";
import { markup, raw, type Html } from "./html.ts";

const STYLE = raw(`
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; background: #fff; }
  header { background: #24292f; color: #fff; padding: 8px 16px; display: flex; gap: 16px; align-items: baseline; }
  header a { color: #fff; text-decoration: none; } header strong { font-size: 16px; }
  main { padding: 16px; max-width: 1400px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #d0d7de; vertical-align: top; }
  th { background: #f6f8fa; font-weight: 600; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .glance-healthy { color: #1a7f37; } .glance-watch { color: #9a6700; } .glance-unhealthy { color: #cf222e; font-weight: 600; }
  .ok { color: #1a7f37; } .bad { color: #cf222e; }
  form.filters { display: flex; gap: 12px; align-items: end; margin-bottom: 12px; flex-wrap: wrap; }
  form.filters label { display: flex; flex-direction: column; font-size: 12px; }
  .pager { margin-top: 12px; display: flex; gap: 16px; }
  section { margin-bottom: 24px; }
  pre { background: #f6f8fa; padding: 8px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; margin: 4px 0; }
  .event { border-bottom: 1px solid #eaeef2; padding: 2px 0; }
  .event .seq { color: #57606a; width: 4em; display: inline-block; }
  .event .type { font-family: ui-monospace, monospace; font-weight: 600; }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; }
  .chart h3 { margin: 4px 0; font-size: 14px; }
  .diff .add { color: #1a7f37; } .diff .del { color: #cf222e; }
  .kinds label { margin-right: 10px; }
  .muted { color: #57606a; }
`);

export interface PageOptions {
  /** Scripts of ours served under /runs/assets/, loaded at the end of the body. */
  scripts?: string[];
  /** Stylesheets of ours served under /runs/assets/. */
  styles?: string[];
}

export function page(title: string, body: Html, options: PageOptions = {}): Html {
  return markup`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Stamina</title>
        <style>
          ${STYLE}
        </style>
        ${(options.styles ?? []).map((s) => markup`<link rel="stylesheet" href="/runs/assets/${s}" />`)}
      </head>
      <body>
        <header>
          <strong>Stamina</strong><a href="/runs">Runs</a><a href="/runs/overview">Overview</a>
        </header>
        <main>${body}</main>
        ${(options.scripts ?? []).map((s) => markup`<script src="/runs/assets/${s}"></script>`)}
      </body>
    </html> `;
}

export function sendHtml(res: ServerResponse, status: number, content: Html, head = false): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    // Our scripts and styles only: an event's text that slipped through could run nothing.
    "content-security-policy":
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
  res.end(head ? undefined : content.text);
}

const TITLES: Record<number, string> = {
  400: "Bad request",
  403: "Not allowed",
  404: "Not found",
  405: "Method not allowed",
  500: "Something went wrong",
};

/** A page that refuses, saying why; `why` is plain text (escaped here). */
export function sendProblem(res: ServerResponse, status: number, why: string): void {
  const title = TITLES[status] ?? `Error ${status}`;
  sendHtml(
    res,
    status,
    page(
      title,
      markup`<h1>${status}: ${title}</h1>
        <p class="problem">${why}</p>`,
    ),
  );
}

/** A refusal a route throws; the router turns it into its page. */
export class PageProblem extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 405,
    message: string,
  ) {
    super(message);
    this.name = "PageProblem";
  }
}
