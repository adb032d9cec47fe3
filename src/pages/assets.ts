// The files the run pages load: our two small scripts (beside this file, in assets/) and
// uPlot's script and stylesheet from its package. Read once, kept in memory; a name not in
// the list is a 404 (no path from the request reaches the disk).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ServerResponse } from "node:http";
import { sendProblem } from "./layout.ts";

const require = createRequire(import.meta.url);
const here = (name: string) => new URL(`./assets/${name}`, import.meta.url);

const FILES: Record<string, { type: string; path: () => string | URL }> = {
  "run-page.js": { type: "text/javascript", path: () => here("run-page.js") },
  "charts.js": { type: "text/javascript", path: () => here("charts.js") },
  "uPlot.iife.min.js": {
    type: "text/javascript",
    path: () => require.resolve("uplot/dist/uPlot.iife.min.js"),
  },
  "uPlot.min.css": { type: "text/css", path: () => require.resolve("uplot/dist/uPlot.min.css") },
};

const cache = new Map<string, Buffer>();

export function serveAsset(name: string, res: ServerResponse): void {
  const file = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (file === undefined) {
    sendProblem(res, 404, `The run pages have no file "${name}".`);
    return;
  }
  let body = cache.get(name);
  if (body === undefined) {
    body = readFileSync(file.path());
    cache.set(name, body);
  }
  res.writeHead(200, {
    "content-type": `${file.type}; charset=utf-8`,
    "cache-control": "public, max-age=300",
    "x-content-type-options": "nosniff",
  });
  res.end(body);
}
