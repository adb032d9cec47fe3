// The process's settings, read once from the environment and validated, so a
// wrong value stops start-up with a sentence that names the variable.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { AuditKeyError, auditSigner, type AuditSigner } from "./audit/signing.ts";
import type { ProviderOptions } from "./model/providers.ts";
import { modelEnv, providerOptions, readModelSettings } from "./model-settings.ts";
import { readOperatorLimits, spendEnv } from "./spend-settings.ts";
import type { OperatorLimits } from "./runs/spend-limits.ts";
import { networkAllow, networkReach, type NetworkSettings } from "./network-settings.ts";
import { opsEnv, readOpsSettings, type OpsSettings } from "./ops-settings.ts";
import { pagesEnv, readPagesSettings, type PagesSettings } from "./pages-settings.ts";
import { accessEnv, readAccessSettings, type AccessSettings } from "./access-settings.ts";
import { SettingsError } from "./settings-error.ts";
import type { ModelSettings } from "./model-settings.ts";
import type { DatabaseTarget } from "./store/database.ts";
import { registryHosts, type RegistryHost } from "./sandbox/registry-hosts.ts";
import type { SandboxLimits, SandboxOptions } from "./sandbox/sandbox.ts";
import type { WebhookSettings } from "./app/webhook-settings.ts";

export { SettingsError };

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const envSchema = z.object({
  APP_ID: z.coerce.number().int().positive().optional(),
  PRIVATE_KEY: z.string().optional(),
  PRIVATE_KEY_PATH: z.string().optional(),
  WEBHOOK_SECRET: z.string().optional(),
  GHE_HOST: z.string().optional(),
  GHE_PROTOCOL: z.enum(["http", "https"]).default("https"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  HOST: z.string().default("0.0.0.0"),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  DATABASE_URL: z.string().optional(),
  STAMINA_DATA_DIR: z.string().default("./data"),
  STAMINA_WORKER_ID: z.string().optional(),
  STAMINA_WORKER_CONCURRENCY: positiveInt(2),
  STAMINA_LEASE_SECONDS: positiveInt(120),
  STAMINA_POLL_MS: positiveInt(1000),
  STAMINA_COMMAND_TIMEOUT_SECONDS: positiveInt(600),
  // `auto` was "bubblewrap, else none"; it now means bubblewrap, as the default does.
  STAMINA_SANDBOX: z.enum(["bubblewrap", "process", "auto"]).default("bubblewrap"),
  STAMINA_BWRAP: z.string().optional(),
  STAMINA_SANDBOX_READ_ONLY: z.string().optional(),
  STAMINA_SANDBOX_MEMORY_MB: z.coerce.number().int().positive().optional(),
  STAMINA_SANDBOX_PROCESSES: z.coerce.number().int().positive().optional(),
  STAMINA_SANDBOX_CPU_SECONDS: z.coerce.number().int().positive().optional(),
  STAMINA_SANDBOX_FILE_SIZE_MB: z.coerce.number().int().positive().optional(),
  STAMINA_SANDBOX_TMP_MB: z.coerce.number().int().positive().optional(),
  STAMINA_WORKTREE_MAX_MB: z.coerce.number().int().positive().optional(),
  STAMINA_RUN_MEMORY_MB: z.coerce.number().int().positive().optional(),
  STAMINA_RUN_PROCESSES: z.coerce.number().int().positive().optional(),
  STAMINA_NETWORK_ALLOW: z.string().optional(),
  STAMINA_NETWORK_PRIVATE: z.string().optional(),
  STAMINA_AUDIT_KEY: z.string().optional(),
  STAMINA_AUDIT_KEY_PATH: z.string().optional(),
  STAMINA_METRICS_TOKEN: z.string().optional(),
  STAMINA_MAX_TOKENS: positiveInt(16_000),
  ...modelEnv,
  ...spendEnv,
  ...opsEnv,
  ...pagesEnv,
  ...accessEnv,
  STAMINA_MAX_ACTIVE_RUNS: positiveInt(10),
  STAMINA_INSTALLATION_MAX_RUNS: positiveInt(3),
  STAMINA_RUN_RETRIES: z.coerce.number().int().min(0).default(5),
  STAMINA_RETRY_SECONDS: positiveInt(30),
  STAMINA_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).default(30),
  STAMINA_GITHUB_THROTTLE: z.enum(["on", "off"]).default("on"),
  STAMINA_PROGRESS_SECONDS: z.coerce.number().min(0).default(5),
  STAMINA_WORKSPACE_MAX_GB: z.coerce.number().positive().default(20),
  STAMINA_WEBHOOK_MAX_AGE_MINUTES: z.coerce.number().positive().default(60),
  STAMINA_WEBHOOK_MAX_KB: positiveInt(2048), // 2 MiB, measured: see WebhookSettings.maxBytes
  STAMINA_WEBHOOK_READING: positiveInt(16),
  WEBHOOK_PROXY_URL: z
    .url({ protocol: /^https?$/, error: "must be a smee.io channel's http(s) URL, or unset" })
    .optional(),
  STAMINA_REPLY_TIMEOUT_HOURS: z.coerce
    .number()
    .positive()
    .default(7 * 24),
});

export interface Settings {
  appId: number | undefined;
  privateKey: string | undefined;
  webhookSecret: string | undefined;
  /** REST base URL, e.g. https://api.github.com or http://ghe.local/api/v3. */
  githubApiUrl: string;
  /** Where `owner/repo.git` lives for git over HTTPS. */
  githubGitUrl: string;
  logLevel: z.output<typeof envSchema>["LOG_LEVEL"];
  host: string;
  port: number;
  anthropicApiKey: string | undefined;
  anthropicBaseUrl: string | undefined;
  dataDir: string;
  /** SQLite under the data directory unless DATABASE_URL says otherwise. */
  database: DatabaseTarget;
  workerId: string;
  workerConcurrency: number;
  /** Runs all workers on this database hold at once, and runs of one installation. */
  maxActiveRuns: number;
  installationMaxRuns: number;
  /** Retries of failures that are not the agent's fault, the first after retryBaseMs. */
  runRetries: number;
  retryBaseMs: number;
  /** How long a stopping worker lets its runs finish their current step. */
  shutdownGraceMs: number;
  /** Octokit's pacing of writes to GitHub (off only where GitHub has no rate limits). */
  githubThrottle: boolean;
  /** A run's progress on GitHub (comment, check run) is edited at most this often. */
  progressIntervalMs: number;
  /** A run waiting for a person this long unanswered is stopped (STAMINA_REPLY_TIMEOUT_HOURS). */
  replyTimeoutMs: number;
  /** What the webhook ingress takes in: see WebhookSettings. */
  webhook: WebhookSettings;
  /** A smee.io channel whose deliveries are forwarded to the ingress (development only). */
  webhookProxyUrl: string | undefined;
  /** The repository mirror cache's disk cap; idle mirrors are evicted past it, least recently used first. */
  workspaceMaxBytes: number;
  leaseMs: number;
  pollMs: number;
  commandTimeoutMs: number;
  sandbox: SandboxSettings;
  /** What sandboxed commands may reach through the egress proxy, as the operator set it. */
  network: NetworkSettings;
  maxTokens: number;
  /** The model provider, its variables and the retry window. */
  model: ModelSettings;
  /** The bearer token /metrics asks for (STAMINA_METRICS_TOKEN); unset: /metrics is open. */
  metricsToken: string | undefined;
  /** The operator's limits on spend and models, which no repository or command can pass. */
  limits: OperatorLimits;
  /** The operations port (health endpoints) beside or instead of the webhook server. */
  ops: OpsSettings;
  /** Who the run pages answer without GitHub sign-in (STAMINA_PAGES_LOCAL). */
  pages: PagesSettings;
  /** Sign-in with GitHub for the run pages, and the public address links to them use. */
  access: AccessSettings;
  /**
   * The audit key (STAMINA_AUDIT_KEY, or the file STAMINA_AUDIT_KEY_PATH names): its PEM, a
   * secret to redact, and the signer of each run's audit head. Unset: logs are not signed.
   */
  auditKey: { pem: string; signer: AuditSigner } | undefined;
}

interface SandboxSettings {
  /** process is the explicit opt-out: no isolation, and every run says so. */
  kind: "bubblewrap" | "process";
  /** bubblewrap's path, when it is not the system's. */
  bwrap: string | undefined;
  /** What the operator set; the rest are the sandbox's defaults. */
  limits: Partial<SandboxLimits>;
  /** Extra folders commands may read (a toolchain outside /usr). */
  extraReadOnlyPaths: string[];
  /** The app's own secrets and data, hidden from commands wherever they live. */
  protectedPaths: string[];
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  // An empty value (`APP_ID=` in .env) means unset, as it does for Probot.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ""),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new SettingsError(`Invalid environment: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  const dataDir = resolve(e.STAMINA_DATA_DIR);
  const database = databaseTarget(e.DATABASE_URL, dataDir);
  const webBase = e.GHE_HOST ? `${e.GHE_PROTOCOL}://${e.GHE_HOST}` : "https://github.com";
  return {
    appId: e.APP_ID,
    privateKey: readPem(e.PRIVATE_KEY, e.PRIVATE_KEY_PATH, "PRIVATE_KEY_PATH"),
    webhookSecret: e.WEBHOOK_SECRET,
    githubApiUrl: e.GHE_HOST ? `${webBase}/api/v3` : "https://api.github.com",
    githubGitUrl: webBase,
    logLevel: e.LOG_LEVEL,
    host: e.HOST,
    port: e.PORT,
    anthropicApiKey: e.ANTHROPIC_API_KEY,
    anthropicBaseUrl: e.ANTHROPIC_BASE_URL,
    dataDir,
    database,
    workerId: e.STAMINA_WORKER_ID ?? `${hostname()}-${process.pid}`,
    workerConcurrency: e.STAMINA_WORKER_CONCURRENCY,
    maxActiveRuns: e.STAMINA_MAX_ACTIVE_RUNS,
    installationMaxRuns: e.STAMINA_INSTALLATION_MAX_RUNS,
    runRetries: e.STAMINA_RUN_RETRIES,
    retryBaseMs: e.STAMINA_RETRY_SECONDS * 1000,
    shutdownGraceMs: e.STAMINA_SHUTDOWN_GRACE_SECONDS * 1000,
    githubThrottle: e.STAMINA_GITHUB_THROTTLE === "on",
    progressIntervalMs: e.STAMINA_PROGRESS_SECONDS * 1000,
    replyTimeoutMs: Math.round(e.STAMINA_REPLY_TIMEOUT_HOURS * 3_600_000),
    webhook: {
      maxAgeMs: Math.round(e.STAMINA_WEBHOOK_MAX_AGE_MINUTES * 60_000),
      maxBytes: e.STAMINA_WEBHOOK_MAX_KB * 1024,
      maxReading: e.STAMINA_WEBHOOK_READING,
    },
    webhookProxyUrl: e.WEBHOOK_PROXY_URL,
    workspaceMaxBytes: Math.round(e.STAMINA_WORKSPACE_MAX_GB * 1024 ** 3),
    leaseMs: e.STAMINA_LEASE_SECONDS * 1000,
    pollMs: e.STAMINA_POLL_MS,
    commandTimeoutMs: e.STAMINA_COMMAND_TIMEOUT_SECONDS * 1000,
    sandbox: sandboxSettings(e, dataDir, database),
    network: {
      allow: networkAllow(e.STAMINA_NETWORK_ALLOW),
      reach: networkReach(e.STAMINA_NETWORK_PRIVATE),
    },
    maxTokens: e.STAMINA_MAX_TOKENS,
    model: readModelSettings(e),
    limits: readOperatorLimits(e),
    metricsToken: e.STAMINA_METRICS_TOKEN,
    ops: readOpsSettings(e),
    pages: readPagesSettings(e),
    access: readAccessSettings(e),
    auditKey: readAuditKey(e.STAMINA_AUDIT_KEY, e.STAMINA_AUDIT_KEY_PATH),
  };
}

/** The audit key, checked now: a key that cannot sign stops the start with the setting named. */
function readAuditKey(inline: string | undefined, path: string | undefined): Settings["auditKey"] {
  const pem = readPem(inline, path, "STAMINA_AUDIT_KEY_PATH");
  if (pem === undefined) return undefined;
  const setting = inline ? "STAMINA_AUDIT_KEY" : `STAMINA_AUDIT_KEY_PATH (${path})`;
  try {
    return { pem, signer: auditSigner(pem, setting) };
  } catch (error) {
    if (error instanceof AuditKeyError) throw new SettingsError(error.message);
    throw error;
  }
}

const MB = 1024 * 1024;

function sandboxSettings(
  e: z.output<typeof envSchema>,
  dataDir: string,
  database: DatabaseTarget,
): SandboxSettings {
  const limits: Partial<SandboxLimits> = {};
  const mb = (value: number | undefined) => (value === undefined ? undefined : value * MB);
  const set = <K extends keyof SandboxLimits>(key: K, value: number | undefined) => {
    if (value !== undefined) limits[key] = value;
  };
  set("memoryBytes", mb(e.STAMINA_SANDBOX_MEMORY_MB));
  set("processes", e.STAMINA_SANDBOX_PROCESSES);
  set("cpuSeconds", e.STAMINA_SANDBOX_CPU_SECONDS);
  set("fileSizeBytes", mb(e.STAMINA_SANDBOX_FILE_SIZE_MB));
  set("tmpBytes", mb(e.STAMINA_SANDBOX_TMP_MB));
  set("worktreeMaxBytes", mb(e.STAMINA_WORKTREE_MAX_MB));
  set("runMemoryBytes", mb(e.STAMINA_RUN_MEMORY_MB));
  set("runProcesses", e.STAMINA_RUN_PROCESSES);
  const extra = (e.STAMINA_SANDBOX_READ_ONLY ?? "").split(":").filter((p) => p !== "");
  const relative = extra.find((p) => !isAbsolute(p));
  if (relative !== undefined) {
    throw new SettingsError(
      `STAMINA_SANDBOX_READ_ONLY: ${relative} is not an absolute path; give absolute paths separated by ":"`,
    );
  }
  const protectedPaths = [dataDir, resolve(".env")];
  if (database.engine === "sqlite") protectedPaths.push(database.path);
  if (e.PRIVATE_KEY_PATH) protectedPaths.push(resolve(e.PRIVATE_KEY_PATH));
  if (e.STAMINA_AUDIT_KEY_PATH) protectedPaths.push(resolve(e.STAMINA_AUDIT_KEY_PATH));
  return {
    kind: e.STAMINA_SANDBOX === "process" ? "process" : "bubblewrap",
    bwrap: e.STAMINA_BWRAP,
    limits,
    extraReadOnlyPaths: extra,
    protectedPaths,
  };
}

function databaseTarget(url: string | undefined, dataDir: string): DatabaseTarget {
  if (url === undefined) return { engine: "sqlite", path: resolve(dataDir, "stamina.db") };
  if (url.startsWith("sqlite:")) return { engine: "sqlite", path: resolve(url.slice(7)) };
  if (/^postgres(ql)?:\/\//.test(url)) return { engine: "postgres", url };
  throw new SettingsError(
    "DATABASE_URL: use postgres://USER@HOST:PORT/DATABASE for PostgreSQL or sqlite:PATH for SQLite; " +
      `unset it to use ${dataDir}/stamina.db`,
  );
}

/**
 * The password in a PostgreSQL URL, for the redactor: as the URL writes it (percent-encoded)
 * and as the server is sent it (decoded). None for SQLite or a URL without one.
 */
export function databaseSecrets(database: DatabaseTarget): string[] {
  if (database.engine !== "postgres") return [];
  let written: string;
  try {
    written = new URL(database.url).password;
  } catch {
    return [];
  }
  if (written === "") return [];
  try {
    return [...new Set([written, decodeURIComponent(written)])];
  } catch {
    return [written]; // a stray `%` that decodes to nothing: the driver sends it as written
  }
}

/** Settings a running app needs; start-up fails with this message when one is missing. */
export interface AppSecrets {
  appId: number;
  privateKey: string;
  webhookSecret: string;
  /** Set when the provider is the Claude API. */
  anthropicApiKey: string | undefined;
  /** The model provider, with what it needs to authenticate. */
  modelProvider: ProviderOptions;
}

export function requireAppSettings(s: Settings): AppSecrets {
  const missing: string[] = [];
  if (s.appId === undefined) missing.push("APP_ID");
  if (s.privateKey === undefined) missing.push("PRIVATE_KEY or PRIVATE_KEY_PATH");
  if (s.webhookSecret === undefined) missing.push("WEBHOOK_SECRET");
  const provider = providerOptions(s.model, {
    apiKey: s.anthropicApiKey,
    baseURL: s.anthropicBaseUrl,
  });
  if ("missing" in provider) missing.push(...provider.missing);
  const { appId, privateKey, webhookSecret } = s;
  if (!appId || privateKey === undefined || webhookSecret === undefined || "missing" in provider) {
    const why =
      s.model.provider === "anthropic" ? "" : ` for STAMINA_MODEL_PROVIDER=${s.model.provider}`;
    throw new SettingsError(`Missing settings: ${missing.join(", ")}${why} (see .env.example)`);
  }
  return {
    appId,
    privateKey,
    webhookSecret,
    anthropicApiKey: s.anthropicApiKey,
    modelProvider: provider,
  };
}

/** A PEM inline (one `.env` line, breaks as `\\n`) or in a file; errors name `pathSetting`. */
function readPem(
  inline: string | undefined,
  path: string | undefined,
  pathSetting: string,
): string | undefined {
  if (inline) return inline.includes("\\n") ? inline.replace(/\\n/g, "\n") : inline;
  if (!path) return undefined;
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new SettingsError(`${pathSetting}: cannot read ${path}`, { cause: error });
  }
}

/**
 * What createSandbox gets: the sandbox settings, and the egress proxy's allowlist (the hosts of
 * the registries this machine's package managers use, read now, and the operator's). The
 * process kind has no proxy, so it reads no registry.
 */
export function sandboxOptions(
  settings: Settings,
): SandboxOptions & { registries: RegistryHost[] } {
  const registries = settings.sandbox.kind === "process" ? [] : registryHosts();
  const allow = [...new Set([...registries.map((r) => r.host), ...settings.network.allow])];
  return {
    ...settings.sandbox,
    egress: { allow, exempt: settings.network.reach },
    registries,
  };
}
