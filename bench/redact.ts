// redact: what redacting a megabyte of command output costs with ten held secrets, each searched
// for in every form (encodings, escapes, reversed, cut across lines), against the plain search of
// the ten values as written over the same text in the same run.
//   redact.ms_per_mb   the median of 5 runs of redact() over 1 MB of log-like text
//   redact.ratio       that / the median of 5 runs of replaceAll() of the ten plain values
import { randomBytes } from "node:crypto";
import { createRedactor } from "../src/observability/redact.ts";
import type { BenchOptions, Figure, Promised } from "./_bench.ts";

const RUNS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timed(work: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    work();
    times.push(performance.now() - start);
  }
  return median(times);
}

export const figures: readonly Promised[] = [
  { name: "redact.ms_per_mb", unit: "ms" },
  { name: "redact.ratio", unit: "x" },
];

export function run(_options: BenchOptions): Promise<Figure[]> {
  const secrets = [
    `ghs_${randomBytes(27).toString("base64url").slice(0, 36)}`,
    `sk-ant-api03-${randomBytes(60).toString("base64url")}`,
    randomBytes(20).toString("hex"),
    "hunter2-Pass!word",
    ...Array.from({ length: 5 }, () => randomBytes(24).toString("base64")),
    `-----BEGIN PRIVATE KEY-----\n${randomBytes(1200).toString("base64").replace(/.{64}/g, "$&\n")}\n-----END PRIVATE KEY-----\n`,
  ];
  const redactor = createRedactor(secrets);
  const line = 'ok 17 - parses "a\\nb" with 0123456789abcdef and deadbeef in 3 ms\n';
  const text = line.repeat(Math.ceil(1_000_000 / line.length)).slice(0, 1_000_000);
  const ours = timed(() => redactor.redact(text));
  const plain = timed(() => secrets.reduce((out, s) => out.replaceAll(s, "[REDACTED]"), text));
  return Promise.resolve([
    { name: "redact.ms_per_mb", value: ours, unit: "ms" },
    { name: "redact.ratio", value: ours / plain, unit: "x" },
  ]);
}
