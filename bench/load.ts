// load: a burst of scripted runs across installations on one machine (bench/_fleet.ts): signed
// `issues.labeled` deliveries posted one after another to `stamina serve`, the first
// installation's all first (it asks for the most), while `stamina worker` processes take them
// up within STAMINA_INSTALLATION_MAX_RUNS per installation and their slots in all. Each run is
// the scripted model's three steps (edit, end of the work, review), the repository's check, a
// push and a pull request on the fake GitHub. The baseline is one worker on SQLite (`load.*`);
// against it, two workers on PostgreSQL (`load.postgres.*`) share the same slots, the two
// configurations alternating over rounds. Each round must end every run `succeeded`, and no
// installation may have held more runs at once than its cap; else the benchmark fails.
//   *.runs                       runs a round asked for, all of which succeeded
//   *.concurrent_runs            the most runs held by the workers at once (claim to end, from
//                                the audit events), over rounds
//   *.max_held_per_installation  the most runs one installation held at once, over rounds
//   *.idle_rss_mb                the workers' resident memory once started, before the burst
//   *.peak_rss_mb                the most resident memory of the workers and every process they
//                                started (git, shells, checks), summed, sampled every 50 ms
//   *.peak_rss_mb_per_run        peak_rss_mb / concurrent_runs
//   *.added_rss_mb_per_run       (peak_rss_mb - idle_rss_mb) / concurrent_runs
//   *.steps_per_s                the runs' model steps (steps_used) over the time from the
//                                first delivery posted to the last run's end
//   *.fairness                   at the moment half the runs had begun, the least share any
//                                installation had of its max-min fair share of the runs begun
//                                (bench/_fairness.ts): 1 fair, 0 starved; the worst round's
//   load.postgres.steps_per_s_ratio   the median of the rounds' PostgreSQL / SQLite steps_per_s
//   load.postgres.rss_per_run_ratio   the same of peak_rss_mb_per_run (_min, _max: spread)
// All but concurrent_runs, max_held_per_installation and fairness are medians over rounds.
// Full form: 5 installations asking for 8, 3, 3, 3 and 3 runs (20), 10 slots, a cap of 3 per
// installation, 3 rounds. Small form: 2 installations asking for 2 and 1, 2 slots, a cap of 1,
// 1 round.
import { createTestDatabase } from "../test/support/postgres.ts";
import { fairness, peakHeld } from "./_fairness.ts";
import { runFleet, type FleetResult, type FleetShape } from "./_fleet.ts";
import { alternate, ratioFigures, ratioPromises } from "./_rounds.ts";
import { median } from "./_stats.ts";
import type { BenchOptions, Figure, Promised } from "./_bench.ts";

const FULL = { shape: { demands: [8, 3, 3, 3, 3], slots: 10, cap: 3 }, rounds: 3 };
const SMALL = { shape: { demands: [2, 1], slots: 2, cap: 1 }, rounds: 1 };
const PREFIXES = ["load", "load.postgres"] as const;

export const figures: readonly Promised[] = [
  ...PREFIXES.flatMap((prefix) => [
    { name: `${prefix}.runs`, unit: "runs" },
    { name: `${prefix}.concurrent_runs`, unit: "runs" },
    // The cap the full form sets; the benchmark fails before a round past it is printed.
    {
      name: `${prefix}.max_held_per_installation`,
      unit: "runs",
      target: { atMost: FULL.shape.cap },
    },
    { name: `${prefix}.idle_rss_mb`, unit: "MB" },
    { name: `${prefix}.peak_rss_mb`, unit: "MB" },
    { name: `${prefix}.peak_rss_mb_per_run`, unit: "MB" },
    { name: `${prefix}.added_rss_mb_per_run`, unit: "MB" },
    { name: `${prefix}.steps_per_s`, unit: "steps/s" },
    { name: `${prefix}.fairness`, unit: "ratio" },
  ]),
  ...ratioPromises("load.postgres.steps_per_s_ratio"),
  ...ratioPromises("load.postgres.rss_per_run_ratio"),
];

/** What one round of one configuration measured. */
export interface Round {
  runs: number;
  concurrent: number;
  maxPerInstallation: number;
  idleMb: number;
  peakMb: number;
  stepsPerS: number;
  fairness: number;
}

export async function run(options: BenchOptions): Promise<Figure[]> {
  const { shape, rounds } = options.small ? SMALL : FULL;
  // Generous: on a machine busy with other work, the full form's 20 runs have taken over 10 minutes.
  const timeoutMs = options.small ? 420_000 : 1_800_000;
  const sides = { sqlite: [] as Round[], postgres: [] as Round[] };
  await alternate(rounds, {
    ours: async () => {
      const database = await createTestDatabase("bench_load");
      try {
        const round = judge(shape, await runFleet(shape, 2, database.url, timeoutMs), "postgres");
        sides.postgres.push(round);
        return round.stepsPerS;
      } finally {
        await database.drop();
      }
    },
    base: async () => {
      const round = judge(shape, await runFleet(shape, 1, undefined, timeoutMs), "sqlite");
      sides.sqlite.push(round);
      return round.stepsPerS;
    },
  });
  const perRun = (r: Round) => r.peakMb / r.concurrent;
  return [
    ...summary("load", sides.sqlite),
    ...summary("load.postgres", sides.postgres),
    ...ratioFigures(
      "load.postgres.steps_per_s_ratio",
      sides.postgres.map((r, i) => r.stepsPerS / sides.sqlite[i]!.stepsPerS),
    ),
    ...ratioFigures(
      "load.postgres.rss_per_run_ratio",
      sides.postgres.map((r, i) => perRun(r) / perRun(sides.sqlite[i]!)),
    ),
  ];
}

/** One round's figures; throws when a run did not succeed or an installation passed its cap. */
export function judge(shape: FleetShape, result: FleetResult, engine: string): Round {
  const asked = shape.demands.reduce((sum, n) => sum + n, 0);
  const failed = result.runs.filter((r) => r.state !== "succeeded");
  if (result.runs.length !== asked || failed.length > 0) {
    const states = failed.map((r) => `${r.state} (installation ${r.installation})`).join(", ");
    throw new Error(
      `on ${engine}, ${asked} runs were asked for, ${result.runs.length} made, ${failed.length} did not succeed${states ? `: ${states}` : ""}`,
    );
  }
  const peak = peakHeld(result.held);
  const [worst, most] = [...peak.perInstallation].sort((a, b) => b[1] - a[1])[0]!;
  if (most > shape.cap) {
    throw new Error(
      `on ${engine}, installation ${worst} held ${most} runs at once, past its cap of ${shape.cap}`,
    );
  }
  const demands = new Map(shape.demands.map((n, i) => [i + 1, n]));
  return {
    runs: result.runs.length,
    concurrent: peak.total,
    maxPerInstallation: most,
    idleMb: result.idleRssMb,
    peakMb: result.peakRssMb,
    stepsPerS: result.runs.reduce((sum, r) => sum + r.steps, 0) / (result.makespanMs / 1000),
    fairness: fairness(result.started, demands),
  };
}

function summary(prefix: string, rounds: readonly Round[]): Figure[] {
  const med = (f: (r: Round) => number) => median(rounds.map(f));
  return [
    { name: `${prefix}.runs`, value: rounds[0]!.runs, unit: "runs" },
    {
      name: `${prefix}.concurrent_runs`,
      value: Math.max(...rounds.map((r) => r.concurrent)),
      unit: "runs",
    },
    {
      name: `${prefix}.max_held_per_installation`,
      value: Math.max(...rounds.map((r) => r.maxPerInstallation)),
      unit: "runs",
    },
    { name: `${prefix}.idle_rss_mb`, value: med((r) => r.idleMb), unit: "MB" },
    { name: `${prefix}.peak_rss_mb`, value: med((r) => r.peakMb), unit: "MB" },
    {
      name: `${prefix}.peak_rss_mb_per_run`,
      value: med((r) => r.peakMb / r.concurrent),
      unit: "MB",
    },
    {
      name: `${prefix}.added_rss_mb_per_run`,
      value: med((r) => (r.peakMb - r.idleMb) / r.concurrent),
      unit: "MB",
    },
    { name: `${prefix}.steps_per_s`, value: med((r) => r.stepsPerS), unit: "steps/s" },
    {
      name: `${prefix}.fairness`,
      value: Math.min(...rounds.map((r) => r.fairness)),
      unit: "ratio",
    },
  ];
}
