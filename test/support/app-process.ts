// Stamina as its own process, started the way `npm start` starts it
// (`stamina all`, `serve` or `worker`), against the fake GitHub and the
// scripted model: its logs collected, its exit awaited, signals sent to it.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { waitFor } from "./webhooks.ts";

export interface AppProcess {
  child: ChildProcess;
  logs(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** The webhook URL, once a `serve` or `all` process listens. */
  webhookUrl(): Promise<string>;
  /** The URL of the process's health endpoints (`/healthz`, `/readyz`) on its operations port. */
  opsUrl(): Promise<string>;
  /** Waits for a log line matching `pattern`. */
  waitForLog(pattern: RegExp, what: string, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, and wait for the process to end. */
  stop(): Promise<number | null>;
}

/** The environment of a Stamina process against the fake GitHub and the scripted model. */
export function appEnv(world: {
  dir: string;
  privateKey: string;
  webhookSecret: string;
  githubHost: string;
  modelKey: string;
  modelUrl: string;
}): Record<string, string> {
  return {
    HOME: world.dir,
    APP_ID: "1",
    PRIVATE_KEY: world.privateKey,
    WEBHOOK_SECRET: world.webhookSecret,
    GHE_HOST: world.githubHost,
    GHE_PROTOCOL: "http",
    ANTHROPIC_API_KEY: world.modelKey,
    ANTHROPIC_BASE_URL: world.modelUrl,
    STAMINA_DATA_DIR: join(world.dir, "data"),
  };
}

export function startAppProcess(
  mode: "all" | "serve" | "worker",
  env: Record<string, string | undefined>,
  /** A command the process is started under (it must exec it, keeping the pid): `unshare …`. */
  wrap: readonly string[] = [],
): AppProcess {
  const command = [...wrap, process.execPath, "--import", "tsx", "src/main.ts", mode];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: process.cwd(),
    env: {
      PATH: process.env.PATH,
      HOST: "127.0.0.1",
      PORT: "0",
      // A worker alone opens its health port (9464 unset): any free one, so workers run side by side.
      ...(mode === "worker" ? { STAMINA_METRICS_PORT: "0" } : {}),
      LOG_LEVEL: "debug",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let logs = "";
  child.stdout.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const waitForLog = (pattern: RegExp, what: string, timeoutMs = 30_000) =>
    waitFor(
      () => {
        if (child.exitCode !== null) {
          throw new Error(`stamina ${mode} exited (${child.exitCode}) before ${what}:\n${logs}`);
        }
        return pattern.exec(logs) ?? undefined;
      },
      what,
      timeoutMs,
    );
  return {
    child,
    logs: () => logs,
    exited,
    webhookUrl: async () => {
      const match = await waitForLog(/"port":(\d+)[^\n]*listening/, "the app to listen");
      return `http://127.0.0.1:${match[1]}/api/github/webhooks`;
    },
    opsUrl: async () => {
      const match = await waitForLog(/"opsPort":(\d+)/, "the health endpoints to listen");
      return `http://127.0.0.1:${match[1]}`;
    },
    waitForLog,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
