// What a Stamina process must have to do its work, as readiness checks: the database answers
// and has this version's migrations (every process), the sandbox starts, through its own probe
// (a process that runs commands), and the worker is claiming (a process with a worker).
import type { Kysely } from "kysely";
import type { Worker } from "../runs/worker.ts";
import { probeSandboxAsync } from "../sandbox/sandbox.ts";
import type { DatabaseTarget } from "../store/database.ts";
import { databaseReadiness } from "../store/probe.ts";
import type { Store } from "../store/store.ts";
import type { ReadinessCheck } from "./readiness.ts";

/** How often each slow check runs again in the background, and how long it may take. */
const CHECK_TIMES = {
  database: { everyMs: 5_000, timeoutMs: 5_000 },
  // Two bwrap runs of up to 10 s each.
  sandbox: { everyMs: 60_000, timeoutMs: 25_000 },
};

export function databaseCheck(
  store: Pick<Store, "db">,
  target: DatabaseTarget,
  times = CHECK_TIMES.database,
): ReadinessCheck {
  return {
    name: "database",
    ...times,
    slow: `the database did not answer within ${times.timeoutMs / 1000} s: check that it is up and reachable (DATABASE_URL)`,
    async run() {
      const probe = await databaseReadiness(store.db as unknown as Kysely<unknown>, target);
      return probe.ok ? { ok: true, detail: probe.detail } : { ok: false, detail: probe.message };
    },
  };
}

/** `kind` and `bwrap` as the sandbox was created with: the same probe, run again. */
export function sandboxCheck(
  sandbox: { kind: "bubblewrap" | "process"; bwrap?: string },
  times = CHECK_TIMES.sandbox,
): ReadinessCheck {
  return {
    name: "sandbox",
    ...times,
    slow: `the sandbox's probe did not finish within ${times.timeoutMs / 1000} s: run \`stamina doctor\` to see where bubblewrap hangs`,
    async run() {
      if (sandbox.kind === "process") {
        return {
          ok: true,
          detail:
            "no sandbox: STAMINA_SANDBOX=process runs commands without isolation, and every run says so",
        };
      }
      const probe = await probeSandboxAsync(sandbox.bwrap === undefined ? {} : sandbox);
      if (!probe.ok) return { ok: false, detail: `${probe.reason} ${probe.remedy}` };
      const missing = (["memory", "processes"] as const).filter((l) => !probe.limits.includes(l));
      return {
        ok: true,
        detail:
          missing.length > 0
            ? `bubblewrap ${probe.bubblewrapVersion} starts; no cgroup could be used, so the ${missing.join(" and ")} limits are not enforced`
            : `bubblewrap ${probe.bubblewrapVersion} starts, with every limit enforced`,
      };
    },
  };
}

/**
 * The process's worker takes work. `worker` is read at each request (it starts after the
 * server listens); `whyNone` says why a process that should have one has none.
 */
export function workerCheck(worker: () => Worker | undefined, whyNone: string): ReadinessCheck {
  return {
    name: "worker",
    run() {
      const claims = worker()?.claims ?? { state: "not-started" };
      switch (claims.state) {
        case "claiming":
          return {
            ok: true,
            detail: `claiming runs (${claims.load} of ${claims.concurrency} at work)`,
          };
        case "not-started":
          return { ok: false, detail: whyNone };
        case "stopping":
          return {
            ok: false,
            detail:
              "the worker is shutting down: it claims no new run and hands its runs back after their current step",
          };
        case "held":
          return {
            ok: false,
            detail: `no run is claimed until ${claims.problem.setting} works (${claims.problem.problem}): fix ${claims.problem.setting} and restart Stamina; this worker tries again at ${claims.until.toISOString()}`,
          };
        case "failing":
          return {
            ok: false,
            detail: `the worker's last look for work failed (${claims.error}): see the database check and the log's "could not claim a run"`,
          };
      }
    },
  };
}
