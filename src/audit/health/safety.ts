// The safety chart: what the controls stopped or asked about, so far.
// - refused commands: `safety` events of the sandbox's controls (sandbox.*) and the push guard;
// - limits hit: `sandbox.limit` (a command stopped at a time, memory, process or output limit);
// - blocked hosts: hosts the egress proxy refused (`network.blocked`), each once (a request that
//   did not speak HTTP proxy, `network.refused`, names no host to allow);
// - secret findings: findings of `git.secret_scan`, each (kind, path, line) once;
// - approvals asked: the approval gate holding a commit (`approval.held`) and a budget pause
//   (`run.paused` with source `budget`); approvals given: `approval.granted`.
import { bump, cumulative, record, type StepLog } from "./steps.ts";
import type { Chart } from "./types.ts";

function refusedCommand(data: Record<string, unknown>): boolean {
  const control = typeof data.control === "string" ? data.control : "";
  return control.startsWith("sandbox.") || control === "push.guard";
}

export function safetyChart(log: StepLog): Chart {
  const refused = new Map<number, number>();
  const limits = new Map<number, number>();
  const hosts = new Map<number, number>();
  const secrets = new Map<number, number>();
  const asked = new Map<number, number>();
  const given = new Map<number, number>();
  const seenHosts = new Set<string>();
  const seenFindings = new Set<string>();
  for (const { type, data, step } of log.events) {
    if (type === "safety" && refusedCommand(data)) bump(refused, step);
    if (type === "sandbox.limit") bump(limits, step);
    if (type === "network.blocked" && typeof data.host === "string") {
      if (!seenHosts.has(data.host)) bump(hosts, step);
      seenHosts.add(data.host);
    }
    if (type === "git.secret_scan" && Array.isArray(data.findings)) {
      for (const finding of data.findings) {
        const f = record(finding);
        const key = JSON.stringify([f.kind, f.path, f.line]);
        if (!seenFindings.has(key)) bump(secrets, step);
        seenFindings.add(key);
      }
    }
    if (type === "approval.held" || (type === "run.paused" && data.source === "budget")) {
      bump(asked, step);
    }
    if (type === "approval.granted") bump(given, step);
  }
  return {
    id: "safety",
    title: "Safety controls",
    unit: "count",
    series: [
      cumulative("refused commands", log.axis, refused),
      cumulative("limits hit", log.axis, limits),
      cumulative("blocked hosts", log.axis, hosts),
      cumulative("secret findings", log.axis, secrets),
      cumulative("approvals asked", log.axis, asked),
      cumulative("approvals given", log.axis, given),
    ],
  };
}
