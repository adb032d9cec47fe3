// A service's readiness: named checks, the slow ones (a database round trip, the sandbox's
// probe) run in the background at most every `everyMs` and bounded by `timeoutMs`, so a request
// is answered at once from their last results; a check of memory alone runs on every request.

/** A check's outcome: what passed, or one sentence saying what failed and what to fix. */
interface CheckResult {
  ok: boolean;
  detail: string;
}

export interface ReadinessCheck {
  name: string;
  /** Must not hang past timeoutMs to stay useful; a throw fails the check with its message. */
  run(): CheckResult | Promise<CheckResult>;
  /** Run again in the background this often. Unset: run on every request (memory only). */
  everyMs?: number;
  /** A background run still going after this long fails the check with `slow` (default 5 s). */
  timeoutMs?: number;
  /** The sentence for a run past timeoutMs, naming what to look at. */
  slow?: string;
}

interface CheckReport extends CheckResult {
  name: string;
  /** When the result was taken (ISO); a request's own time for a check run on every request. */
  checkedAt: string;
}

interface ReadinessReport {
  ok: boolean;
  /** `name: detail` of each failed check. */
  failed: string[];
  checks: CheckReport[];
}

export interface Readiness {
  report(): Promise<ReadinessReport>;
  /** Stops the background runs. */
  stop(): void;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/** Starts the background checks now, so the first request finds their results (or awaits them). */
export function createReadiness(
  checks: readonly ReadinessCheck[],
  clock: () => Date = () => new Date(),
): Readiness {
  const timers: NodeJS.Timeout[] = [];
  const latest = new Map<string, Promise<CheckReport>>();
  const settle = async (check: ReadinessCheck): Promise<CheckReport> => ({
    name: check.name,
    ...(await runOnce(check)),
    checkedAt: clock().toISOString(),
  });
  for (const check of checks) {
    if (check.everyMs === undefined) continue;
    let running = false;
    const refresh = () => {
      // A run that has not settled yet (timed out, still hanging) is not started twice.
      if (running) return;
      running = true;
      const run = settle(check);
      void run.finally(() => {
        running = false;
      });
      const bounded = bound(check, run, clock);
      // The first result is awaited by a request that comes before it; later ones replace it
      // only once they are in, so a request never waits on a refresh.
      if (!latest.has(check.name)) latest.set(check.name, bounded);
      else void bounded.then((report) => latest.set(check.name, Promise.resolve(report)));
    };
    refresh();
    const timer = setInterval(refresh, check.everyMs);
    timer.unref();
    timers.push(timer);
  }
  return {
    async report() {
      const checkReports = await Promise.all(
        checks.map((check) => latest.get(check.name) ?? settle(check)),
      );
      const failed = checkReports.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
      return { ok: failed.length === 0, failed, checks: checkReports };
    },
    stop() {
      for (const timer of timers) clearInterval(timer);
    },
  };
}

async function runOnce(check: ReadinessCheck): Promise<CheckResult> {
  try {
    return await check.run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, detail: `the ${check.name} check failed: ${message}` };
  }
}

/** The run's report, or a failure once timeoutMs passes without one. */
function bound(
  check: ReadinessCheck,
  run: Promise<CheckReport>,
  clock: () => Date,
): Promise<CheckReport> {
  const ms = check.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CheckReport>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          name: check.name,
          ok: false,
          detail: check.slow ?? `the ${check.name} check did not finish within ${ms / 1000} s`,
          checkedAt: clock().toISOString(),
        }),
      ms,
    );
    timer.unref();
  });
  return Promise.race([run, late]).finally(() => clearTimeout(timer));
}
