// The repository config, `.github/stamina.yml`: one zod schema with defaults,
// and an error that names the key and the problem in words a maintainer can act on.
import { z } from "zod";
import type { WatchdogSettings } from "../agent/watchdog-rules.ts";
import { knownModels, priceOf } from "../model/prices.ts";

export const CONFIG_PATH = ".github/stamina.yml";
/** The newest Sonnet the installed SDK lists; a repository may choose another. */
export const DEFAULT_MODEL = "claude-sonnet-5-5";

const command = z
  .string({ error: "must be a command line (text)" })
  .trim()
  .min(1, { error: "must not be empty" })
  .max(2_000, { error: "is longer than 2,000 characters" });

const commandList = z
  .union([command, z.array(command)], { error: "must be a command or a list of commands" })
  .transform((v) => (Array.isArray(v) ? v : [v]));

/** What a run may spend unless the repository says otherwise. */
export const DEFAULT_BUDGET = { steps: 50, tokens: 5_000_000, dollars: 10, minutes: 120 };

function wholeNumber(min: number, max: number) {
  return z.coerce
    .number({ error: "must be a whole number" })
    .int({ error: "must be a whole number" })
    .min(min, { error: `must be at least ${min.toLocaleString("en-US")}` })
    .max(max, { error: `must be at most ${max.toLocaleString("en-US")}` });
}

/** The context manager's defaults: clear past 20,000 tokens, compact past 80,000, keep 6 results. */
export const DEFAULT_CONTEXT_CONFIG = {
  server_side: true,
  keep_tool_results: 6,
  clear_batch: 8,
  server_clear_at: 20_000,
  server_compact_at: 60_000,
  compact_at: 80_000,
};

/** When the watchdog nudges the model, then pauses the run (see src/agent/watchdog.ts). */
export const DEFAULT_WATCHDOG_CONFIG = {
  enabled: true,
  /** The same tool call with the same input, on an unchanged worktree, this many times… */
  repeated_calls: 3,
  /** …within this many steps. */
  repeat_window: 10,
  /** The same command failing this many times in a row. */
  failing_command: 3,
  /** Changed files that neither the issue, the plan nor the files changed before point to, past this count. */
  out_of_scope_files: 3,
  /** More than `error_share` of the last `error_window` tool calls failing. */
  error_window: 10,
  error_share: 0.5,
  /** No change to the diff or the plan over this many steps. */
  stall_steps: 15,
  /** A signal again within this many steps of its nudge pauses the run; later, it nudges again. */
  pause_within: 30,
};

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "is not a valid environment variable name" });

export const repoConfigSchema = z
  .strictObject(
    {
      label: z
        .string({ error: "must be the name of a label (text)" })
        .trim()
        .min(1, { error: "must not be empty" })
        .max(50, { error: "is longer than GitHub's 50-character label limit" })
        .default("stamina"),
      model: z
        .string({ error: "must be a model id such as claude-sonnet-5-5" })
        .trim()
        .min(1, { error: "must not be empty" })
        .refine((id) => priceOf(id) !== undefined, {
          error: (issue) =>
            `names a model Stamina has no price for (${String(issue.input)}), so it cannot keep the run within its budget; choose one of ${knownModels().join(", ")}`,
        })
        .default(DEFAULT_MODEL),
      setup: commandList.default([]),
      // The checks, in the order they run; the harness runs them itself to verify the work.
      build: command.nullable().default(null),
      test: command.nullable().default(null),
      lint: command.nullable().default(null),
      budget: z
        .strictObject(
          {
            steps: wholeNumber(1, 10_000).default(DEFAULT_BUDGET.steps),
            tokens: wholeNumber(1_000, 1_000_000_000).default(DEFAULT_BUDGET.tokens),
            dollars: z.coerce
              .number({ error: "must be an amount in US dollars, such as 10 or 2.50" })
              .positive({ error: "must be more than 0" })
              .max(10_000, { error: "must be at most 10,000" })
              .default(DEFAULT_BUDGET.dollars),
            minutes: wholeNumber(1, 7 * 24 * 60).default(DEFAULT_BUDGET.minutes),
          },
          { error: "must be a mapping such as `steps: 50`" },
        )
        .default(() => ({ ...DEFAULT_BUDGET })),
      watchdog: z
        .strictObject(
          {
            enabled: z
              .boolean({ error: "must be true or false" })
              .default(DEFAULT_WATCHDOG_CONFIG.enabled),
            repeated_calls: wholeNumber(2, 100).default(DEFAULT_WATCHDOG_CONFIG.repeated_calls),
            repeat_window: wholeNumber(2, 1_000).default(DEFAULT_WATCHDOG_CONFIG.repeat_window),
            failing_command: wholeNumber(2, 100).default(DEFAULT_WATCHDOG_CONFIG.failing_command),
            out_of_scope_files: wholeNumber(0, 10_000).default(
              DEFAULT_WATCHDOG_CONFIG.out_of_scope_files,
            ),
            error_window: wholeNumber(2, 1_000).default(DEFAULT_WATCHDOG_CONFIG.error_window),
            error_share: z.coerce
              .number({ error: "must be a share between 0 and 1, such as 0.5" })
              .min(0, { error: "must be at least 0" })
              .max(0.99, { error: "must be less than 1" })
              .default(DEFAULT_WATCHDOG_CONFIG.error_share),
            stall_steps: wholeNumber(2, 10_000).default(DEFAULT_WATCHDOG_CONFIG.stall_steps),
            pause_within: wholeNumber(1, 10_000).default(DEFAULT_WATCHDOG_CONFIG.pause_within),
          },
          { error: "must be a mapping such as `stall_steps: 15`" },
        )
        .default(() => ({ ...DEFAULT_WATCHDOG_CONFIG })),
      env: z
        .record(envName, z.string({ error: "must be text" }), {
          error: "must be a mapping of NAME: value",
        })
        .default({}),
      // The context manager's thresholds, in tokens (see CONTRIBUTING, "Context in layers").
      context: z
        .strictObject(
          {
            server_side: z
              .boolean({ error: "must be true or false" })
              .default(DEFAULT_CONTEXT_CONFIG.server_side),
            keep_tool_results: wholeNumber(1, 100).default(
              DEFAULT_CONTEXT_CONFIG.keep_tool_results,
            ),
            clear_batch: wholeNumber(1, 100).default(DEFAULT_CONTEXT_CONFIG.clear_batch),
            server_clear_at: wholeNumber(5_000, 1_000_000).default(
              DEFAULT_CONTEXT_CONFIG.server_clear_at,
            ),
            server_compact_at: wholeNumber(50_000, 1_000_000).default(
              DEFAULT_CONTEXT_CONFIG.server_compact_at,
            ),
            compact_at: wholeNumber(5_000, 1_000_000).default(DEFAULT_CONTEXT_CONFIG.compact_at),
          },
          { error: "must be a mapping such as `compact_at: 80000`" },
        )
        .default(() => ({ ...DEFAULT_CONTEXT_CONFIG })),
      // Consumed by Probot's config loader (org defaults); kept here so it is not "unknown".
      _extends: z.string().optional(),
    },
    { error: "must be a YAML mapping of settings" },
  )
  .transform(({ _extends: _ignored, ...config }) => config);

export type RepoConfig = z.output<typeof repoConfigSchema>;

/** The `watchdog` settings as the agent's watchdog takes them. */
export function watchdogSettingsOf(watchdog: RepoConfig["watchdog"]): WatchdogSettings {
  return {
    enabled: watchdog.enabled,
    repeatedCalls: watchdog.repeated_calls,
    repeatWindow: watchdog.repeat_window,
    failingCommand: watchdog.failing_command,
    outOfScopeFiles: watchdog.out_of_scope_files,
    errorWindow: watchdog.error_window,
    errorShare: watchdog.error_share,
    stallSteps: watchdog.stall_steps,
    pauseWithin: watchdog.pause_within,
  };
}

/** The `context` settings as the agent's context manager takes them. */
export function contextSettingsOf(context: RepoConfig["context"]) {
  return {
    serverSide: context.server_side,
    keepToolResults: context.keep_tool_results,
    clearBatch: context.clear_batch,
    serverClearAt: context.server_clear_at,
    serverCompactAt: context.server_compact_at,
    compactAt: context.compact_at,
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`${CONFIG_PATH} is not valid: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

/** Parses raw config (YAML already read) or throws a ConfigError listing every problem. */
export function parseRepoConfig(raw: unknown): RepoConfig {
  const result = repoConfigSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map(describeIssue));
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    const where = issue.path.length > 0 ? ` in \`${issue.path.join(".")}\`` : "";
    const keys = issue.keys.map((k) => `\`${k}\``).join(", ");
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${keys}${where}`;
  }
  if (issue.path.length === 0) return `the file ${issue.message}`;
  const key = `\`${issue.path.join(".")}\``;
  if (issue.code === "invalid_key") return `${key} is not a valid environment variable name`;
  return `${key} ${issue.message}`;
}
