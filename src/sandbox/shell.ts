// One persistent bash per run, inside the sandbox: the working directory,
// variables, functions and background jobs of one command are there for the
// next, as in a terminal. A command that runs past its time is interrupted
// (its own processes, in process groups of their own, and the shell's trap
// that skips the rest of it) and the shell lives on; only a shell that does
// not come back is replaced, and the result says so.
import { spawn, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { LimitHit } from "./limits.ts";
import type { CollectedOutput, OutputCollector } from "./output.ts";
import { mergedChannel } from "./process-group.ts";
import { descendantsOf, innermostPid } from "./process-tree.ts";
import { interrupt, killTree, type ShellProcesses } from "./shell-signals.ts";
import type { LimitWatch, NetworkGrant, Sandbox } from "./sandbox.ts";
import { frameCommand, SHELL_PRELUDE, type MarkerScanner } from "./shell-protocol.ts";

export interface ShellOptions {
  sandbox: Sandbox;
  cwd: string;
  env: Record<string, string>;
  /** Where the full output of a truncated command is saved; readable inside the sandbox. */
  outputDir: string;
  /** How long a timed-out command has, once its processes are killed, before the shell is replaced. */
  graceMs?: number;
  /** The run the shell belongs to (see CommandRequest.group); its cgroup covers the whole session. */
  group?: string;
  /** The egress proxy's grant for the shell's whole life; none: no network. */
  network?: NetworkGrant;
}

export interface ShellResult extends CollectedOutput {
  /** null when the command did not finish (killed with the shell, or cancelled). */
  exitCode: number | null;
  timedOut: boolean;
  aborted: boolean;
  /** The shell ended with this command: the next one starts a fresh shell. */
  shellEnded: boolean;
  /** Why the shell ended, in words for the model. */
  note: string | null;
  durationMs: number;
  /** A sandbox limit the command hit (its share of the shell's counters), for the model; null: none. */
  limit: LimitHit | null;
}

/** Output that arrives between commands (a background job) is kept up to this size for the next one. */
const BETWEEN_MAX = 64 * 1024;

const NOT_RUN: Omit<ShellResult, keyof CollectedOutput> = {
  exitCode: null,
  timedOut: false,
  aborted: false,
  shellEnded: false,
  note: null,
  durationMs: 0,
  limit: null,
};

interface Running {
  scanner: MarkerScanner;
  collector: OutputCollector;
  done: (status: number | null, note: string | null) => void;
}

interface Live extends ShellProcesses {
  child: ChildProcess;
  reader: Socket;
  running: Running | null;
  between: Buffer[];
  ended: boolean;
  /** Why the harness killed the shell, for the command that was running. */
  killedBecause: string | null;
  watch: LimitWatch;
  /** Settles once the shell's cgroup is gone (after it exited). */
  released: Promise<void>;
}

export class PersistentShell {
  private live: Live | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private started = 0;
  /** The command the shell runs now (or ran last): what a blocked request is charged to. */
  private current = "";

  constructor(private readonly options: ShellOptions) {}

  /** Shells started so far; a caller can tell that a command got a fresh one. */
  get generation(): number {
    return this.started;
  }

  /** Runs one command; commands queue, one at a time. */
  run(command: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<ShellResult> {
    const next = this.queue.then(() => this.runNow(command, opts));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Replaces the shell with a fresh one in the worktree, with the starting environment. */
  async restart(): Promise<void> {
    await this.close();
    await this.start();
  }

  /** Ends the shell and everything it started; a later command starts a new one. */
  async close(): Promise<void> {
    await this.queue;
    await this.kill("closed");
  }

  private async runNow(
    command: string,
    opts: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<ShellResult> {
    if (opts.signal?.aborted) {
      const collected = await this.options.sandbox.collectOutput(this.options.outputDir).finish();
      return { ...NOT_RUN, ...collected, aborted: true };
    }
    const live = this.live && !this.live.ended ? this.live : await this.start();
    this.current = command;
    return this.execute(live, command, opts);
  }

  private async execute(
    live: Live,
    command: string,
    opts: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<ShellResult> {
    const begun = performance.now();
    const collector = this.options.sandbox.collectOutput(this.options.outputDir);
    // Processes alive before the command (the shell, earlier background jobs) are not its own.
    const before = descendantsOf(live.pid);
    const ownPids = new Set(before.map((p) => p.pid));
    const ownGroups = new Set([live.pid, ...before.map((p) => p.pgid)]);
    for (const p of before) {
      live.groups.add(p.pgid);
      live.sessions.add(p.sid);
    }
    const { script, scanner } = frameCommand(command);
    const counters = live.watch.counters();

    let timedOut = false;
    let aborted = false;
    const outcome = new Promise<{ status: number | null; note: string | null }>((resolve) => {
      live.running = { scanner, collector, done: (status, note) => resolve({ status, note }) };
    });
    for (const piece of live.between.splice(0)) this.deliver(live, piece);
    live.child.stdin?.write(script);

    let grace: NodeJS.Timeout | undefined;
    let repeat: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      // As Ctrl-C in a terminal: SIGINT to the command's processes and the shell, whose trap
      // then skips the rest of the command (bash acts on it once its job died of SIGINT).
      interrupt(live, ownPids, ownGroups, "SIGINT");
      // Then, until the shell reports back, SIGKILL for what ignored it.
      repeat = setInterval(() => interrupt(live, ownPids, ownGroups, "SIGKILL"), 100);
      // A shell that does not report back is stuck itself: it is replaced.
      grace = setTimeout(
        () =>
          void this.kill(
            "The command did not stop when it was interrupted, so the shell was replaced",
          ),
        this.options.graceMs ?? 2_000,
      );
    }, opts.timeoutMs);
    const onAbort = () => {
      aborted = true;
      void this.kill("The command was cancelled with the run");
    };
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const { status, note } = await outcome;
      const collected = await collector.finish();
      const end = { exitCode: status, signal: null, output: collected.output };
      const limit = await live.watch.check(counters, end);
      // What the command left over a memory or process limit (a fork bomb in the background)
      // goes; the shell and the jobs from before stay.
      if (limit !== null && (limit.limit === "memory" || limit.limit === "processes")) {
        await this.killCommand(live, ownPids, ownGroups);
      }
      return {
        ...NOT_RUN,
        ...collected,
        exitCode: status,
        timedOut,
        aborted,
        shellEnded: live.ended,
        note,
        durationMs: Math.round(performance.now() - begun),
        limit,
      };
    } finally {
      clearTimeout(timer);
      clearTimeout(grace);
      clearInterval(repeat);
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }

  private async start(): Promise<Live> {
    const grant = this.options.network;
    const spec = await this.options.sandbox.launch({
      command: "exec bash --noprofile --norc",
      cwd: this.options.cwd,
      env: this.options.env,
      network: grant
        ? { allow: grant.allow, onBlocked: (blocked) => grant.onBlocked(blocked, this.current) }
        : false,
      outputDir: this.options.outputDir,
      ...(this.options.group === undefined ? {} : { group: this.options.group }),
    });
    const { reader, writer } = await mergedChannel();
    let child: ChildProcess;
    try {
      // detached: the shell (or bwrap) leads a process group of its own.
      child = spawn(spec.file, spec.args, {
        cwd: this.options.cwd,
        env: spec.env,
        detached: true,
        stdio: ["pipe", writer, writer],
      });
    } finally {
      writer.destroy();
    }
    if (child.pid === undefined) {
      reader.destroy();
      await spec.release();
      const error = await new Promise<Error>((resolve) => child.once("error", resolve));
      throw new Error(`The shell could not start: ${error.message}`);
    }
    const live: Live = {
      child,
      pid: child.pid,
      shellPid: null,
      reader,
      running: null,
      between: [],
      ended: false,
      groups: new Set([child.pid]),
      sessions: new Set([child.pid]),
      killedBecause: null,
      watch: spec.watch,
      released: Promise.resolve(),
    };
    spec.watch.started(child.pid);
    this.live = live;
    this.started += 1;
    // A shell that died takes its pipe with it; the exit handler below reports that.
    child.stdin?.on("error", () => undefined);
    child.stdin?.write(SHELL_PRELUDE);
    reader.on("data", (chunk: Buffer) => this.deliver(live, chunk));
    reader.on("error", () => reader.destroy());
    const closed = new Promise<void>((resolve) => reader.once("close", () => resolve()));
    child.once("exit", (code, signal) => {
      live.ended = true;
      killTree(live);
      live.released = spec.release();
      // Let the output drain (the last lines before the exit), then end the command.
      const drained = setTimeout(() => reader.destroy(), 2_000);
      void closed.then(() => {
        clearTimeout(drained);
        const running = live.running;
        live.running = null;
        if (running === null) return;
        const tail = running.scanner.flush();
        if (tail.length > 0) void running.collector.push(tail);
        const how =
          live.killedBecause ??
          (signal !== null
            ? `The shell was killed (${signal})`
            : `The shell exited with code ${code}`);
        running.done(
          null,
          `${how}; the next command starts a new shell in the worktree, with the starting environment.`,
        );
      });
    });
    // Inside bubblewrap's pid namespace `$$` is not the host's pid: look the shell up by it.
    const hello = await this.execute(live, 'builtin printf %d "$$"', { timeoutMs: 30_000 });
    const inner = Number(hello.output);
    live.shellPid =
      [live.pid, ...descendantsOf(live.pid).map((p) => p.pid)].find(
        (pid) => innermostPid(pid) === inner,
      ) ?? null;
    return live;
  }

  private deliver(live: Live, chunk: Buffer): void {
    const running = live.running;
    if (running === null) {
      live.between.push(chunk);
      let size = live.between.reduce((n, b) => n + b.length, 0);
      while (size > BETWEEN_MAX && live.between.length > 1) size -= live.between.shift()!.length;
      return;
    }
    const scanned = running.scanner.push(chunk);
    const wait = scanned.output.length > 0 ? running.collector.push(scanned.output) : undefined;
    if (wait !== undefined) {
      live.reader.pause();
      void wait.then(() => live.reader.resume());
    }
    if (scanned.status !== undefined) {
      live.running = null;
      if (scanned.rest && scanned.rest.length > 0) live.between.push(scanned.rest);
      const finish = () => running.done(scanned.status ?? null, null);
      // Written output first: the collector must hold it before the result is read.
      if (wait !== undefined) void wait.then(finish);
      else finish();
    }
  }

  /** Kills the processes a command started (frozen first where a cgroup freezer allows). */
  private async killCommand(
    live: Live,
    ownPids: Set<number>,
    ownGroups: Set<number>,
  ): Promise<void> {
    const keep = new Set([live.pid, ...ownPids]);
    if (await live.watch.killExcept(keep)) return;
    for (let pass = 0; pass < 20; pass++) interrupt(live, ownPids, ownGroups, "SIGKILL");
  }

  private async kill(reason: string): Promise<void> {
    const live = this.live;
    if (live === null) return;
    if (!live.ended) {
      live.killedBecause = reason;
      const exited = new Promise<void>((resolve) => live.child.once("exit", () => resolve()));
      killTree(live);
      await exited;
    }
    await live.released;
    if (this.live === live) this.live = null;
  }
}
