// redact: what redacting a megabyte of command output costs with ten held secrets, each searched
// for in every form (encodings, escapes, reversed, cut across lines), against the plain search of
// the ten values as written (replaceAll, one value after another) over the same text in the same
// run. After one unmeasured sample of each (so neither pays for the compiler's warm-up), each
// round times each side over 5 passes (the mean is its sample), the order alternating; a round's
// ratio is ours over the plain one. Full form: 9 rounds; small form: 2.
//   redact.ms_per_mb   the median over rounds of one redact() of 1 MB of log-like text
//   redact.ratio       the median of the rounds' ratios (_min, _max: their spread)
import { createHash } from "node:crypto";
import { createRedactor } from "../src/observability/redact.ts";
import { alternate, ratioFigures, ratioPromises } from "./_rounds.ts";
import { median } from "./_stats.ts";
import type { BenchOptions, Figure, Promised } from "./_bench.ts";

const FULL_ROUNDS = 9;
const SMALL_ROUNDS = 2;

export const figures: readonly Promised[] = [
  { name: "redact.ms_per_mb", unit: "ms" },
  ...ratioPromises("redact.ratio"),
];

/** One side's sample: the mean time of a few passes, so one pause of the collector is not all. */
const PASSES = 5;

/**
 * The mean time of `work` over PASSES texts never seen before, made before the clock starts:
 * the redactor remembers texts it redacted (a model request repeats the transcript), and a
 * command's output is new each time.
 */
function timed(fresh: () => string, work: (text: string) => unknown): Promise<number> {
  const texts = Array.from({ length: PASSES }, fresh);
  const start = performance.now();
  for (const text of texts) work(text);
  return Promise.resolve((performance.now() - start) / PASSES);
}

/**
 * `n` bytes that look random but are the same in every run: how fast a plain search runs depends
 * on the values sought, so secrets drawn afresh each run moved the baseline (and the ratio) from
 * run to run.
 */
function seededBytes(): (n: number) => Buffer {
  let drawn = 0;
  return (n) => {
    const chunks: Buffer[] = [];
    for (let length = 0; length < n; length += 32) {
      chunks.push(createHash("sha256").update(`redact-bench-${drawn++}`).digest());
    }
    return Buffer.concat(chunks).subarray(0, n);
  };
}

export async function run(options: BenchOptions): Promise<Figure[]> {
  const randomBytes = seededBytes();
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
  let made = 0;
  // The same megabyte, its first line numbered: a text of its own each pass, for both sides.
  const fresh = () => `${String(made++).padStart(8, "0")}${text.slice(8)}`;
  const ours = () => timed(fresh, (t) => redactor.redact(t));
  const plain = () =>
    timed(fresh, (t) => secrets.reduce((out, s) => out.replaceAll(s, "[REDACTED]"), t));
  await ours();
  await plain();
  const rounds = await alternate(options.small ? SMALL_ROUNDS : FULL_ROUNDS, {
    ours,
    base: plain,
  });
  return [
    { name: "redact.ms_per_mb", value: median(rounds.ours), unit: "ms" },
    ...ratioFigures("redact.ratio", rounds.ratios),
  ];
}
