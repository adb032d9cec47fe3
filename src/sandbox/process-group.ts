// Runs one process in its own process group with stdout and stderr merged in
// arrival order, and guarantees the caller gets an answer: a timeout or an
// abort kills the whole group, and output left open by an escaped descendant
// is cut off after a short grace.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killQuietly } from "./process-tree.ts";

export interface GroupSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Receives output chunks; a returned promise pauses reading until it settles. */
  onOutput: (chunk: Buffer) => Promise<void> | undefined;
  /** Told the child's pid once it is spawned. */
  onSpawn?: (pid: number) => void;
  /** How long output may stay open after the process exits (a descendant outside the group). */
  drainGraceMs?: number;
}

export interface GroupExit {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
}

export async function runInProcessGroup(spec: GroupSpec): Promise<GroupExit> {
  if (spec.signal?.aborted) return { exitCode: null, signal: null, timedOut: false, aborted: true };
  const { reader, writer } = await mergedChannel();
  const child = (() => {
    try {
      // detached: the child leads a new process group, which is what we kill.
      return spawn(spec.file, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        detached: true,
        stdio: ["ignore", writer, writer],
      });
    } finally {
      // The child holds its own copy; ours must go, or the output never ends.
      writer.destroy();
    }
  })();

  if (child.pid !== undefined) spec.onSpawn?.(child.pid);
  const outputDone = readAll(reader, spec.onOutput);
  let timedOut = false;
  let aborted = false;
  const kill = () => {
    if (child.pid !== undefined) killQuietly(-child.pid);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, spec.timeoutMs);
  const onAbort = () => {
    aborted = true;
    kill();
  };
  spec.signal?.addEventListener("abort", onAbort, { once: true });

  let grace: NodeJS.Timeout | undefined;
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.once("error", reject);
        child.once("exit", (c, s) => resolve([c, s]));
      },
    );
    // Background jobs die with the command: nothing the command started outlives it.
    kill();
    grace = setTimeout(() => reader.destroy(), spec.drainGraceMs ?? 2_000);
    await outputDone;
    return { exitCode: code, signal, timedOut, aborted };
  } finally {
    clearTimeout(timer);
    clearTimeout(grace);
    spec.signal?.removeEventListener("abort", onAbort);
    reader.destroy();
  }
}

function readAll(
  reader: Socket,
  onOutput: (chunk: Buffer) => Promise<void> | undefined,
): Promise<void> {
  reader.on("data", (chunk: Buffer) => {
    const wait = onOutput(chunk);
    if (wait === undefined) return;
    reader.pause();
    void wait.then(() => reader.resume());
  });
  // A reset connection ends the output like an orderly close; it is no reason to fail the run.
  reader.on("error", () => reader.destroy());
  return once(reader, "close").then(() => undefined);
}

/**
 * A connected pair of Unix sockets. One end becomes both the child's stdout
 * and stderr, so the kernel keeps their writes in order; Node has no pipe(2).
 */
export async function mergedChannel(): Promise<{ reader: Socket; writer: Socket }> {
  const dir = await mkdtemp(join(tmpdir(), "stamina-out-"));
  const server = createServer();
  try {
    const path = join(dir, "s");
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, resolve);
    });
    const accepted = once(server, "connection") as Promise<[Socket]>;
    const writer = connect(path);
    await once(writer, "connect");
    const [reader] = await accepted;
    return { reader, writer };
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}
