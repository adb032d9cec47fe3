// The faults the suite injects into a world's run, each armed before the run and counted when it
// strikes: the worker killed with SIGKILL (waiting for the model, inside a command, during a
// push, the pull request's writes, the check runs), the fake GitHub failing (5xx, secondary rate
// limits, timeouts, resets), the model failing (529s, streams cut, malformed events), the clock
// jumping, the PostgreSQL server restarted.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AppProcess } from "../support/app-process.ts";
import { reply, text, type ScriptedReply } from "../support/model-server/index.ts";
import type { World } from "../support/world.ts";

const CLOCK_SHIFT = new URL("./clock-shift.mjs", import.meta.url).pathname;

/** The worker processes of a world: one at a time, the next started as soon as one is killed. */
export class Workers {
  private current: AppProcess | undefined;
  private readonly all: AppProcess[] = [];
  private count = 0;
  readonly clockFile: string;
  /** Faults that struck, by name, in order. */
  readonly struck: string[] = [];
  /** The command each worker from now on is started under (disk-full.ts's private tmpfs). */
  wrap: readonly string[] = [];

  constructor(
    private readonly world: World,
    private readonly env: Record<string, string> = {},
  ) {
    this.clockFile = join(world.dir, "clock-shift");
    writeFileSync(this.clockFile, "0");
  }

  start(): AppProcess {
    this.count += 1;
    this.current = this.world.start(
      "worker",
      {
        STAMINA_WORKER_ID: `worker-${this.count}`,
        // A run whose attempt failed for a reason not its own is tried again a second later.
        STAMINA_RETRY_SECONDS: "1",
        // As deployed: Octokit's throttling answers the secondary rate limits the suite injects.
        STAMINA_GITHUB_THROTTLE: "on",
        NODE_OPTIONS: `--import ${CLOCK_SHIFT}`,
        STAMINA_TEST_CLOCK_SHIFT_FILE: this.clockFile,
        ...this.env,
      },
      this.wrap,
    );
    this.all.push(this.current);
    return this.current;
  }

  /** Every worker's logs, in the order they were started: what a failed run is read from. */
  logs(): string {
    return this.all.map((w, i) => `=== worker-${i + 1}\n${w.logs()}`).join("\n");
  }

  /** SIGKILL the running worker where `where` says, and start the next one. */
  kill(where: string): void {
    this.current?.child.kill("SIGKILL");
    this.struck.push(`SIGKILL ${where}`);
    this.start();
  }

  /**
   * Moves the workers' wall clock to `shiftMs` from the machine's; `why` names the jump as a
   * fault of its own, without it the move is part of another fault (or puts the clock back).
   */
  shiftClock(shiftMs: number, why?: string): void {
    writeFileSync(this.clockFile, String(shiftMs));
    if (why !== undefined) {
      this.struck.push(`clock ${shiftMs >= 0 ? "+" : ""}${Math.round(shiftMs / 1000)} s ${why}`);
    }
  }

  /** The running worker's process id. */
  pid(): number {
    const pid = this.current?.child.pid;
    if (pid === undefined) throw new Error("no worker is running");
    return pid;
  }

  /** Stops the running worker (SIGTERM: it hands back what it holds) and starts the next. */
  async restart(): Promise<void> {
    await this.current?.stop();
    this.start();
  }

  async stopAll(): Promise<void> {
    await this.current?.stop();
  }
}

/** A place to kill the worker: armed before a run, it strikes once. */
export interface KillPoint {
  name: string;
  arm(world: World, issue: number, kill: (where: string) => void): void;
}

/** Listeners on the model's requests of a world, so several faults can watch the same run. */
export function requestHub(world: World): Array<(issue: number, step: number) => void> {
  const listeners: Array<(issue: number, step: number) => void> = [];
  world.onRequest = (issue, step) => {
    for (const l of [...listeners]) l(issue, step);
  };
  return listeners;
}

const atModel = (step: number, hub: ReturnType<typeof requestHub>): KillPoint => ({
  name: `waiting for the model in step ${step}`,
  arm(_world, issue, kill) {
    let done = false;
    hub.push((i, s) => {
      if (done || i !== issue || s !== step) return;
      done = true;
      kill(this.name);
    });
  },
});

/** Kills the worker when the `nth` request of `method` on `path` from now arrives, before it is answered. */
const atRequest = (name: string, method: string, path: RegExp, nth = 1): KillPoint => ({
  name,
  arm(world, _issue, kill) {
    const arm = (left: number) =>
      world.github.beforeNext(method, path, () => {
        if (left > 1) arm(left - 1);
        else kill(name);
        return Promise.resolve();
      });
    arm(nth);
  },
});

/** Every kill point of the world's gated script. */
export function killPoints(hub: ReturnType<typeof requestHub>): KillPoint[] {
  return [
    ...[1, 2, 3, 4, 5].map((step) => atModel(step, hub)),
    {
      name: "while step 3's command runs",
      arm(world, issue, kill) {
        void world.stepThreeRunning(issue).then(() => {
          kill(this.name);
          world.openGate(issue); // the orphaned command ends; the next worker's passes at once
        });
      },
    },
    atRequest("between steps, updating the tracking comment", "PATCH", /\/issues\/comments\/\d+$/),
    atRequest("during a push: writing the tree", "POST", /\/git\/trees$/),
    atRequest("during a push: writing the commit", "POST", /\/git\/commits$/),
    atRequest("during a push: moving the branch", "POST", /\/git\/refs$/),
    atRequest("during the pull request's writes: opening it", "POST", /\/pulls$/),
    atRequest("during the pull request's writes: its body", "PATCH", /\/pulls\/\d+$/),
    atRequest("during the pull request's writes: ready for review", "POST", /^\/api\/graphql$/),
    atRequest("during the Stamina check run", "POST", /\/check-runs$/),
    atRequest("during the audit log's check run", "POST", /\/check-runs$/, 2),
    atRequest("completing the Stamina check run", "PATCH", /\/check-runs\/\d+$/),
    atRequest("setting the state labels", "POST", /\/issues\/\d+\/labels$/),
  ];
}

/** A small seeded generator (mulberry32), so a run of the suite can be repeated by its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const secondary = {
  status: 403,
  body: { message: "You have exceeded a secondary rate limit. Please wait a few minutes." },
  headers: { "retry-after": "1" },
};

/**
 * Arms the fake GitHub's faults on the requests a run makes, each `times` times; returns how
 * many were armed (the suite counts those that struck, from `github.faultsLeft()`).
 */
export function armGitHubFaults(world: World, issue: number, times: number): number {
  const { github } = world;
  const fail = (method: string, path: RegExp, answer: Parameters<typeof github.failNext>[2]) =>
    github.failNext(method, path, answer, times);
  const bad = (status: number) => ({ status, body: { message: "Server Error" } });
  fail("PATCH", /\/issues\/comments\/\d+$/, bad(502));
  fail("POST", new RegExp(`/issues/${issue}/labels$`), secondary);
  fail("GET", /\/pulls$/, {
    status: 429,
    body: { message: "rate limited" },
    headers: { "retry-after": "1" },
  });
  fail("POST", /\/git\/trees$/, bad(500));
  fail("POST", /\/git\/commits$/, bad(503));
  github.dropNext("POST", /\/git\/refs$/, 0, times); // a connection reset
  github.dropNext("POST", /\/pulls$/, 3_000, times); // no answer, then cut: a timeout
  fail("PATCH", /\/pulls\/\d+$/, bad(502));
  fail("POST", /\/check-runs$/, secondary);
  github.dropNext("PATCH", /\/check-runs\/\d+$/, 0, times);
  fail("POST", /^\/api\/graphql$/, bad(502));
  fail("POST", /\/git-upload-pack$/, bad(502));
  fail("POST", /\/access_tokens$/, bad(500));
  return 13 * times;
}

/** The model's faults, by step: each step's list is answered in order before the script's. */
export function modelFaults(): Map<number, Array<{ name: string; reply: ScriptedReply }>> {
  const overloaded = {
    name: "model 529 overloaded",
    reply: {
      status: 529,
      errorType: "overloaded_error",
      message: "Overloaded",
      headers: { "retry-after": "1" },
    },
  };
  const cut = (events: number) => ({
    name: `model stream cut after ${events} events`,
    reply: { ...reply(text("Let me look at greet.js")), breakAfter: { events } },
  });
  const malformed = {
    name: "model stream with a malformed event",
    reply: {
      ...reply(text("Let me look at greet.js")),
      breakAfter: { events: 3, malformed: '{"type":"content_block_delta","index":0,"delta":{' },
    },
  };
  const streamError = {
    name: "model stream error event (overloaded)",
    reply: {
      ...reply(text("Let me look")),
      breakAfter: { events: 2, error: { type: "overloaded_error", message: "Overloaded" } },
    },
  };
  const limited = {
    name: "model 429 rate limit",
    reply: {
      status: 429,
      errorType: "rate_limit_error",
      message: "Rate limited",
      headers: { "retry-after": "1" },
    },
  };
  return new Map([
    [1, [overloaded, overloaded, overloaded, overloaded, overloaded, overloaded]],
    [2, [cut(4), cut(1)]],
    [3, [malformed, streamError]],
    [4, [limited, cut(5)]],
    [5, [overloaded, malformed]],
  ]);
}
