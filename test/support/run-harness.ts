// Runs in process against the fake GitHub and the scripted model, with the
// clocks in the test's hands: the store's (leases, retry times) and the fake
// GitHub's (token expiry), which the app's token cache reads too.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { AuditSigner } from "../../src/audit/signing.ts";
import { createGitHubClients } from "../../src/github/client.ts";
import { createGitHubPort } from "../../src/github/port.ts";
import { createAnthropicModel } from "../../src/model/anthropic.ts";
import { createRedactor, type Redactor } from "../../src/observability/redact.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";
import type { RunDependencies } from "../../src/runs/dependencies.ts";
import { executeRun } from "../../src/runs/execute-run.ts";
import { openStore } from "../../src/store/open.ts";
import type { GitHubPort } from "../../src/github/types.ts";
import type { Store } from "../../src/store/store.ts";
import type { Run } from "../../src/store/types.ts";
import {
  createSandbox,
  type SandboxLimits,
  type SandboxOptions,
} from "../../src/sandbox/sandbox.ts";
import { appKeyPair } from "./app-keys.ts";
import { startFakeGitHub, type FakeGitHub } from "./fake-github/index.ts";
import { startModelServer, type ModelServer, type ScriptedTurn } from "./model-server/index.ts";

export { byStep, stepOf } from "./by-step.ts";

const keys = appKeyPair();
/** The key the harness's fake GitHub knows the app by, for an app started beside it (startApp). */
export const HARNESS_APP_KEY = keys.privateKey;
/** The API key the harness's scripted model takes, for a test that makes its own model port. */
export const MODEL_KEY = "sk-ant-run-harness-key";
export const OWNER = "octo";
export const REPO = "demo";
export const LEASE_MS = 60_000;
/** The GitHub account id of "maintainer", who asks for every run of the harness. */
export const REQUESTER_ID = 4242;

export interface Harness {
  github: FakeGitHub;
  store: Store;
  port: GitHubPort;
  bare: string;
  dir: string;
  /** Milliseconds on the shared test clock. */
  now(): number;
  tick(ms: number): void;
  model(script: ScriptedTurn[]): Promise<ModelServer>;
  /** A queued run on issue 1 with its tracking comment, as the trigger leaves it. */
  queue(config?: unknown, issueNumber?: number): Promise<Run>;
  claim(workerId?: string): Promise<Run>;
  /**
   * Runs `run` on a worker to its next stop. When a scripted turn threw meanwhile (an `expect`
   * inside it), that error is what this throws, not whatever the run became without its answer.
   */
  execute(
    run: Run,
    control?: { signal?: AbortSignal; drain?: AbortSignal },
    overrides?: Partial<RunDependencies>,
  ): Promise<Run>;
  /**
   * A writer answers the approval `run` waits on (a budget extension, a held change) as
   * `/stamina approve` or `deny` records it, and a worker takes the run up again.
   */
  decide(run: Run, granted: boolean, overrides?: Partial<RunDependencies>): Promise<Run>;
  /** A file on a branch of the bare repository. */
  show(rev: string): string;
  /** Git on the bare repository (GitHub's copy), its output trimmed: `h.git("rev-parse", branch)`. */
  git(...args: string[]): string;
  comment(issueNumber?: number): string;
  close(): Promise<void>;
}

export async function startHarness(
  files: Record<string, string>,
  options: {
    sandbox?: "bubblewrap" | "process";
    /** The sandbox's limits, where a test needs small ones. */
    limits?: Partial<SandboxLimits>;
    /** The egress proxy's allowlist, resolver and exempt addresses (see SandboxOptions.egress). */
    egress?: SandboxOptions["egress"];
    /** The store in `<dir>/data/stamina.db`, where the CLI finds it, instead of in memory. */
    fileStore?: boolean;
    /**
     * Where the shared clock starts (ms); a fixed day unless given. An app started beside the
     * harness signs its JWTs by the real clock, so the fake GitHub must read the same time.
     */
    clockStart?: number;
    /** Signs each run's audit head: the store's `audit.signed` events and the commit trailers. */
    auditSigner?: AuditSigner;
    /** The app's redactor (the secrets it holds), for the store and every run; a bare one unless given. */
    redactor?: Redactor;
    /** The paths no command may see, as the operator's settings give them, from the harness's folder. */
    protectedPaths?: (dir: string) => string[];
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "stamina-harness-"));
  const sandbox = createSandbox({
    kind: options.sandbox ?? "process",
    limits: options.limits,
    ...(options.egress ? { egress: options.egress } : {}),
    ...(options.protectedPaths ? { protectedPaths: options.protectedPaths(dir) } : {}),
  });
  let clock = options.clockStart ?? Date.parse("2026-11-21T10:00:00Z");
  const now = () => clock;
  const github = await startFakeGitHub({ appId: 1, appPublicKeyPem: keys.publicKey, now });
  github.addInstallation(1, OWNER);
  const { barePath: bare } = await github.createRepository({
    owner: OWNER,
    name: REPO,
    installationId: 1,
    files,
  });
  if (options.fileStore) mkdirSync(join(dir, "data"), { recursive: true });
  const store = await openStore({
    sqlitePath: options.fileStore ? join(dir, "data", "stamina.db") : ":memory:",
    redactor: options.redactor ?? createRedactor(),
    ...(options.auditSigner ? { auditSigner: options.auditSigner } : {}),
    clock: () => new Date(clock),
  });
  const log = pino({ level: process.env.HARNESS_LOG ?? "silent" });
  const clients = createGitHubClients({
    appId: 1,
    privateKey: keys.privateKey,
    baseUrl: github.apiUrl,
    log,
    retries: false,
    now,
  });
  const port = createGitHubPort(clients, github.url);
  let server: ModelServer | undefined;
  let deliveries = 0;

  const harness: Harness = {
    github,
    store,
    port,
    bare,
    dir,
    now,
    tick: (ms) => {
      clock += ms;
    },
    async model(script) {
      await server?.close();
      server = await startModelServer(script, { apiKey: MODEL_KEY });
      return server;
    },
    async queue(config = {}, issueNumber = 1) {
      const ref = { installationId: 1, owner: OWNER, repo: REPO };
      const created = await store.runs.create({
        ...ref,
        issueNumber,
        issueTitle: "Make it two",
        issueBody: "a.txt should say two",
        requestedBy: "maintainer",
        requestedById: REQUESTER_ID,
        deliveryId: `d${++deliveries}`,
        config: parseRepoConfig(config),
      });
      if (!created.created) throw new Error("the issue already has an active run");
      const { id } = await port.createComment(ref, issueNumber, "tracking");
      return store.runs.update(created.run.id, { trackingCommentId: id });
    },
    async claim(workerId = "worker-1") {
      const run = await store.leases.claimNext(workerId, LEASE_MS);
      if (!run) throw new Error("no run to claim");
      return run;
    },
    async execute(run, control = {}, overrides = {}) {
      if (!server) throw new Error("start the model first");
      const model = server;
      const url = server.url;
      const executed = executeRun(
        run,
        {
          store,
          github: port,
          sandbox,
          createModel: (id) =>
            createAnthropicModel({ apiKey: MODEL_KEY, baseURL: url, model: id, maxRetries: 0 }),
          dataDir: join(dir, "data"),
          commandTimeoutMs: 20_000,
          maxTokens: 1_000,
          log,
          clock: () => new Date(clock),
          ...(options.auditSigner ? { auditSigner: options.auditSigner } : {}),
          ...(options.redactor ? { redactor: options.redactor } : {}),
          ...overrides,
        },
        control.signal ?? new AbortController().signal,
        control.drain,
      );
      const outcome = await executed.then(
        (settled) => ({ settled }),
        (error: Error) => ({ error }),
      );
      const turnError = model.turnError();
      if (turnError !== undefined) {
        throw turnError instanceof Error ? turnError : new Error(JSON.stringify(turnError));
      }
      if ("error" in outcome) throw outcome.error;
      return outcome.settled;
    },
    async decide(run, granted, overrides = {}) {
      const decided = await store.approvals.decide(run.id, {
        deliveryId: `d${++deliveries}`,
        by: "maintainer",
        granted,
      });
      if (!decided) throw new Error(`run ${run.id} does not await approval`);
      return harness.execute(await harness.claim("worker-2"), {}, overrides);
    },
    show: (rev) => execFileSync("git", ["--git-dir", bare, "show", rev], { encoding: "utf8" }),
    git: (...args) =>
      execFileSync("git", ["--git-dir", bare, ...args], { encoding: "utf8" }).trim(),
    comment: (issueNumber = 1) => github.issueComments(OWNER, REPO, issueNumber)[0]?.body ?? "",
    async close() {
      await server?.close();
      await store.close();
      await github.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
