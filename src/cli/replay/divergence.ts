// Where a replay differs from its recording: the tool calls and what they
// returned, the harness's verifications, the budget stops and how the session
// ended, compared in order. Paths of the two runs' folders, saved-output file
// names and commit ids differ by nature and are set aside first.
import type { AuditEvent } from "../../audit/types.ts";

export interface Divergence {
  /** The step, when the events belong to one. */
  step: number | null;
  what: string;
  recorded: string;
  replayed: string;
}

export interface RunPaths {
  worktree: string;
  outputDir: string;
}

/** The events compared, and the fields of each that must match. */
const COMPARED: Record<string, string[]> = {
  "tool.call": ["name", "input"],
  "tool.result": ["name", "isError", "output", "exitCode", "timedOut"],
  "verify.result": ["phase", "configured", "passed", "checks"],
  "verify.reused": ["phase", "passed"],
  "budget.exhausted": ["budget", "limit"],
  "agent.stop": ["stop", "steps", "phase", "verified"],
};

export function findDivergences(
  recorded: readonly AuditEvent[],
  replayed: readonly AuditEvent[],
  paths: { recorded: RunPaths; replayed: RunPaths },
): Divergence[] {
  const a = comparable(recorded, paths.recorded);
  const b = comparable(replayed, paths.replayed);
  const found: Divergence[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== undefined && y !== undefined && x.key === y.key && x.body === y.body) continue;
    const step = x?.step ?? y?.step ?? null;
    if (x === undefined || y === undefined || x.key !== y.key) {
      found.push({
        step,
        what: "the runs took different turns",
        recorded: x ? x.key : "(the recording ends here)",
        replayed: y ? y.key : "(the replay ends here)",
      });
      // Once the sequences part, every later pair differs too: one entry says it.
      break;
    }
    found.push({ step, what: x.key, recorded: x.body, replayed: y.body });
  }
  return found;
}

interface Comparable {
  key: string;
  step: number | null;
  body: string;
}

function comparable(events: readonly AuditEvent[], paths: RunPaths): Comparable[] {
  const out: Comparable[] = [];
  for (const e of events) {
    const fields = COMPARED[e.type];
    if (fields === undefined) continue;
    const picked: Record<string, unknown> = {};
    for (const f of fields) picked[f] = e.data[f];
    const name = typeof e.data.name === "string" ? ` of ${e.data.name}` : "";
    const id = typeof e.data.id === "string" ? ` (${e.data.id})` : "";
    let body = normalize(JSON.stringify(picked), paths);
    // A checkpoint's commit id hashes its time and the audit head: never the same twice.
    if (e.data.name === "checkpoint") body = body.replace(/\b[0-9a-f]{12,40}\b/g, "<commit>");
    out.push({
      key: `${e.type}${name}${id}`,
      step: typeof e.data.step === "number" ? e.data.step : null,
      body,
    });
  }
  return out;
}

function normalize(text: string, paths: RunPaths): string {
  return text
    .split(JSON.stringify(paths.outputDir).slice(1, -1))
    .join("<outputs>")
    .split(JSON.stringify(paths.worktree).slice(1, -1))
    .join("<worktree>")
    .replace(/<outputs>\/[\w.:-]+\.log/g, "<outputs>/<saved output>.log");
}
