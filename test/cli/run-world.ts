// What the `stamina run` tests share: a fixture checkout in a case folder of its own, the
// scripted model server, and the command run in this process (as main.ts dispatches it) or as
// the real CLI process.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeEach } from "vitest";
import { runCommand } from "../../src/cli/run.ts";
import { fixtureGit } from "../workspace/helpers.ts";
import { type ModelServer } from "../support/model-server/index.ts";

export const KEY = "sk-ant-cli-test-key-0123456789";

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunWorld {
  /** This case's folder. */
  dir: string;
  /** The checkout, `dir/repo`. */
  repo: string;
  /** Set by the test; closed after it. */
  server: ModelServer | undefined;
  /** The fixture checkout on `main`, one commit holding `files`. */
  fixtureRepo(files: Record<string, string>): void;
  /** `git` in the checkout, its stdout. */
  git(...args: string[]): string;
  /** Local branches whose name starts with stamina/. */
  staminaBranches(): string[];
  /** `stamina run` in this process, with the environment below (`env` over it). */
  run(args: string[], env?: NodeJS.ProcessEnv): Promise<Ran>;
  /** `stamina run` as its own process; `started` is handed the child at once. */
  runProcess(args: string[], started?: (child: ChildProcess) => void): Promise<Ran>;
}

/** Registers the hooks that give each test a fresh world, and returns it. */
export function runWorld(): RunWorld {
  const root = mkdtempSync(join(tmpdir(), "stamina-cli-local-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const environment = (): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: world.dir,
    ANTHROPIC_API_KEY: KEY,
    ANTHROPIC_BASE_URL: world.server?.url ?? "http://127.0.0.1:9",
    STAMINA_DATA_DIR: join(world.dir, "data"),
    STAMINA_COMMAND_TIMEOUT_SECONDS: "60",
  });
  const world: RunWorld = {
    dir: "",
    repo: "",
    server: undefined,
    fixtureRepo(files) {
      for (const [path, body] of Object.entries(files)) {
        mkdirSync(dirname(join(world.repo, path)), { recursive: true });
        writeFileSync(join(world.repo, path), body);
      }
      fixtureGit(world.repo, "init", "--quiet", "--initial-branch=main");
      fixtureGit(world.repo, "add", "--all");
      fixtureGit(world.repo, "commit", "--quiet", "-m", "initial");
    },
    git: (...args) => fixtureGit(world.repo, ...args),
    staminaBranches: () =>
      fixtureGit(world.repo, "branch", "--list", "--format=%(refname:short)", "stamina/*")
        .split("\n")
        .filter((b) => b !== ""),
    async run(args, env = {}) {
      let stdout = "";
      let stderr = "";
      const io = {
        out: { write: (t: string) => (stdout += t) },
        err: { write: (t: string) => (stderr += t) },
        env: { ...environment(), ...env },
        signal: new AbortController().signal,
      };
      const status = await runCommand(args, io);
      return { status, stdout, stderr };
    },
    runProcess(args, started) {
      const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "run", ...args], {
        env: environment(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      started?.(child);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      return new Promise((resolve) =>
        child.once("close", (status) => resolve({ status, stdout, stderr })),
      );
    },
  };
  beforeEach(() => {
    world.dir = mkdtempSync(join(root, "case-"));
    world.repo = join(world.dir, "repo");
  });
  afterEach(async () => {
    await world.server?.close();
    world.server = undefined;
  });
  return world;
}
