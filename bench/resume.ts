// resume: how soon a replacement worker gets a crashed run going again. Each round, a `stamina
// all` process is killed (SIGKILL) in the middle of a run's step 3; once its lease is expired
// (written into the database, so the figure is not the lease time), a new `stamina all` starts.
// Both times are measured from that process's start, in the same round:
//   resume.ms          the median over rounds of the time to the resumed run's next step (its
//                      request to the model)
//   resume.serve_ms    the median over rounds of the time to serving its first request (/healthz)
//   resume.ratio       the median of the rounds' resume time / serve time (_min, _max: spread)
// Full form: 5 rounds; small form: 2. Each round is a run of its own issue, which must end
// `succeeded`. Both processes write to the fake GitHub unthrottled.
import { join } from "node:path";
import Database from "better-sqlite3";
import { startWorld } from "../test/support/world.ts";
import { waitFor } from "../test/support/webhooks.ts";
import { ratioFigures, ratioPromises } from "./_rounds.ts";
import { median } from "./_stats.ts";
import type { BenchOptions, Figure, Promised } from "./_bench.ts";
import { freePort } from "../test/support/free-port.ts";

const FULL_ROUNDS = 5;
const SMALL_ROUNDS = 2;
/**
 * The fake GitHub has no rate limits to pace writes for, and the pacing (about a second a write)
 * would only lengthen the end of each round, after what is measured.
 */
const UNTHROTTLED = { STAMINA_GITHUB_THROTTLE: "off" };

export const figures: readonly Promised[] = [
  { name: "resume.ms", unit: "ms" },
  { name: "resume.serve_ms", unit: "ms" },
  ...ratioPromises("resume.ratio"),
];

export async function run(options: BenchOptions): Promise<Figure[]> {
  const world = await startWorld();
  try {
    const rounds: Array<{ resumeMs: number; serveMs: number }> = [];
    const count = options.small ? SMALL_ROUNDS : FULL_ROUNDS;
    for (let issue = 1; issue <= count; issue++) {
      const crashed = world.start("all", UNTHROTTLED);
      await world.label(await crashed.webhookUrl(), issue);
      await world.stepThreeRunning(issue);
      crashed.child.kill("SIGKILL");
      await crashed.exited;
      world.openGate(issue);
      expireLease(join(world.dir, "data", "stamina.db"), issue);

      let resumedAt = 0;
      world.onRequest = (i, step) => {
        if (i === issue && step === 3 && resumedAt === 0) resumedAt = performance.now();
      };
      const port = await freePort();
      const started = performance.now();
      const replacement = world.start("all", { ...UNTHROTTLED, PORT: String(port) });
      const servedAt = await firstAnswer(`http://127.0.0.1:${port}/healthz`);
      await waitFor(() => (resumedAt > 0 ? true : undefined), "the resumed step", 60_000);
      if ((await world.finished(issue)) !== "succeeded") throw new Error("the run did not finish");
      await replacement.stop();
      rounds.push({ resumeMs: resumedAt - started, serveMs: servedAt - started });
    }
    return [
      { name: "resume.ms", value: median(rounds.map((r) => r.resumeMs)), unit: "ms" },
      { name: "resume.serve_ms", value: median(rounds.map((r) => r.serveMs)), unit: "ms" },
      ...ratioFigures(
        "resume.ratio",
        rounds.map((r) => r.resumeMs / r.serveMs),
      ),
    ];
  } finally {
    await world.close();
  }
}

/** As if the lease had run out: the killed worker's heartbeat stopped long ago. */
function expireLease(path: string, issue: number): void {
  const db = new Database(path);
  try {
    db.prepare("update runs set lease_expires_at = ? where issue_number = ?").run(
      new Date(0).toISOString(),
      issue,
    );
  } finally {
    db.close();
  }
}

/** When `url` first answers 200, polling every 2 ms. */
async function firstAnswer(url: string): Promise<number> {
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return performance.now();
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
