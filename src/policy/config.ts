// The repository config, `.github/stamina.yml`: one zod schema with defaults,
// and an error that names the key and the problem in words a maintainer can act on.
import { z } from "zod";
import { knownModels, priceOf } from "../model/prices.ts";
import { approvalsSchema } from "./approvals-config.ts";
import { commitsSchema } from "./commits-config.ts";
import { allowEntrySchema } from "./network-config.ts";
import { reviewsSchema } from "./reviews-config.ts";

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

/** Maintainers' own text for the agent plus, once a run is queued, the instruction files joined to it. */
export const MAX_INSTRUCTIONS_CHARS = 64_000;

/** The most host names `network.allow` may list. */
const MAX_NETWORK_ALLOW = 100;

/** What a run may spend unless the repository says otherwise. */
export const DEFAULT_BUDGET = { steps: 50, tokens: 5_000_000, dollars: 10, minutes: 120 };

/** The most `budget.steps` and `budget.dollars` may be, here and on `stamina run`'s command line. */
export const BUDGET_LIMITS = { steps: 10_000, dollars: 10_000 };

function wholeNumber(min: number, max: number) {
  return z.coerce
    .number({ error: "must be a whole number" })
    .int({ error: "must be a whole number" })
    .min(min, { error: `must be at least ${min.toLocaleString("en-US")}` })
    .max(max, { error: `must be at most ${max.toLocaleString("en-US")}` });
}

/**
 * The context manager's defaults, in tokens (CONTRIBUTING, "Context in layers"): the last 6 results
 * whole, older ones cleared 10 at a time, compacted past 16,000; server-side edits (off) differ.
 */
export const DEFAULT_CONTEXT_CONFIG = {
  server_side: false,
  keep_tool_results: 6,
  clear_batch: 10,
  server_clear_at: 20_000,
  server_compact_at: 60_000,
  compact_at: 16_000,
};

/** When the watchdog nudges the model, then pauses the run (see src/agent/watchdog.ts). */
const DEFAULT_WATCHDOG_CONFIG = {
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
  /** No change to the diff or the plan, and nothing read for the first time, over this many steps. */
  stall_steps: 15,
  /** A signal again within this many steps of its nudge pauses the run; later, it nudges again. */
  pause_within: 30,
};

/**
 * What `_extends` may say, as Probot's config loader (`@probot/octokit-plugin-config`) parses it:
 * `repo`, `owner/repo`, either with `:path.yml`; its `i` flag written out, so a JSON Schema can
 * carry it too. The loader refuses anything else before the schema sees the file; empty text it
 * leaves alone (extends nothing).
 */
export const EXTENDS_PATTERN =
  /^$|^(?:[A-Za-z\d](?:[A-Za-z\d]|-(?=[A-Za-z\d])){0,38}\/)?[-_.\w]+(?::[-_./\w]+\.[Yy][Aa]?[Mm][Ll])?$/;

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
        .default("stamina")
        .describe("The label that starts a run when a writer adds it to an issue."),
      model: z
        .string({ error: "must be a model id such as claude-sonnet-5-5" })
        .trim()
        .min(1, { error: "must not be empty" })
        .refine((id) => priceOf(id) !== undefined, {
          error: (issue) =>
            `names a model Stamina has no price for (${String(issue.input)}), so it cannot keep the run within its budget; choose one of ${knownModels().join(", ")}`,
        })
        .default(DEFAULT_MODEL)
        .describe(
          "The Claude model, named as the Claude API names it; it must have an entry in Stamina's price table.",
        ),
      setup: commandList
        .default([])
        .describe(
          "Commands run once in the run's worktree before the agent starts (with the allowlisted network, see `network`), such as `npm ci`: one command or a list.",
        ),
      build: command
        .nullable()
        .default(null)
        .describe(
          "The build command. Stamina runs build, test and lint itself, in that order, to verify the work; the agent can run them too (`run_checks`).",
        ),
      test: command.nullable().default(null).describe("The test command; see `build`."),
      lint: command.nullable().default(null).describe("The lint command; see `build`."),
      budget: z
        .strictObject(
          {
            steps: wholeNumber(1, BUDGET_LIMITS.steps)
              .default(DEFAULT_BUDGET.steps)
              .describe("Model turns."),
            tokens: wholeNumber(1_000, 1_000_000_000)
              .default(DEFAULT_BUDGET.tokens)
              .describe("Tokens read and written, prompt cache included."),
            dollars: z.coerce
              .number({ error: "must be an amount in US dollars, such as 10 or 2.50" })
              .positive({ error: "must be more than 0" })
              .max(BUDGET_LIMITS.dollars, {
                error: `must be at most ${BUDGET_LIMITS.dollars.toLocaleString("en-US")}`,
              })
              .default(DEFAULT_BUDGET.dollars)
              .describe("Spend at the model's list price, in US dollars."),
            minutes: wholeNumber(1, 7 * 24 * 60)
              .default(DEFAULT_BUDGET.minutes)
              .describe("Wall time while the run works (time waiting for a human does not count)."),
          },
          { error: "must be a mapping such as `steps: 50`" },
        )
        .default(() => ({ ...DEFAULT_BUDGET }))
        .describe("What a run may spend; it stops at the first budget used up, and says which."),
      watchdog: z
        .strictObject(
          {
            enabled: z
              .boolean({ error: "must be true or false" })
              .default(DEFAULT_WATCHDOG_CONFIG.enabled)
              .describe("false: no watchdog; the run goes on until its work or a budget ends."),
            repeated_calls: wholeNumber(2, 100)
              .default(DEFAULT_WATCHDOG_CONFIG.repeated_calls)
              .describe(
                "The same tool call with the same input, on an unchanged worktree, this many times within `repeat_window` steps is a signal.",
              ),
            repeat_window: wholeNumber(2, 1_000)
              .default(DEFAULT_WATCHDOG_CONFIG.repeat_window)
              .describe("The steps `repeated_calls` counts within."),
            failing_command: wholeNumber(2, 100)
              .default(DEFAULT_WATCHDOG_CONFIG.failing_command)
              .describe("The same command failing this many times in a row is a signal."),
            out_of_scope_files: wholeNumber(0, 10_000)
              .default(DEFAULT_WATCHDOG_CONFIG.out_of_scope_files)
              .describe(
                "More than this many changed files that neither the issue, the plan nor the files changed before point to is a signal.",
              ),
            error_window: wholeNumber(2, 1_000)
              .default(DEFAULT_WATCHDOG_CONFIG.error_window)
              .describe("The last tool calls `error_share` looks at."),
            error_share: z.coerce
              .number({ error: "must be a share between 0 and 1, such as 0.5" })
              .min(0, { error: "must be at least 0" })
              .max(0.99, { error: "must be less than 1" })
              .default(DEFAULT_WATCHDOG_CONFIG.error_share)
              .describe(
                "More than this share of the last `error_window` tool calls failing is a signal.",
              ),
            stall_steps: wholeNumber(2, 10_000)
              .default(DEFAULT_WATCHDOG_CONFIG.stall_steps)
              .describe(
                "No change to the diff or the plan, and nothing read for the first time, over this many steps is a signal.",
              ),
            pause_within: wholeNumber(1, 10_000)
              .default(DEFAULT_WATCHDOG_CONFIG.pause_within)
              .describe(
                "A signal first nudges the model; the same signal again within this many steps pauses the run for a human (later, it nudges again).",
              ),
          },
          { error: "must be a mapping such as `stall_steps: 15`" },
        )
        .default(() => ({ ...DEFAULT_WATCHDOG_CONFIG }))
        .describe(
          "When the run seems stuck or off track: first a nudge to the model, then a pause with a comment, answered by a writer's next comment.",
        ),
      env: z
        .record(envName, z.string({ error: "must be text" }), {
          error: "must be a mapping of NAME: value",
        })
        .default({})
        .describe(
          "Extra environment for every command the agent and setup run, as `NAME: value` (never secrets: commands get nothing else of the app's environment but PATH, HOME, TMPDIR, LANG and CI).",
        ),
      network: z
        .strictObject(
          {
            allow: z
              .array(allowEntrySchema, {
                error: "must be a list of host names, such as `[pkgs.example.com]`",
              })
              .max(MAX_NETWORK_ALLOW, {
                error: `must list at most ${MAX_NETWORK_ALLOW} host names`,
              })
              .default(() => [])
              .describe(
                "Host names setup commands (and, with `agent: true`, the agent's commands) may reach through Stamina's egress proxy, besides the package registries this machine uses and the operator's `STAMINA_NETWORK_ALLOW`: `pkgs.example.com`, or `*.example.com` for any name under example.com. Never an address, a port, a URL or a name of the local network (`localhost`, `*.internal`, a name without a dot …).",
              ),
            agent: z
              .boolean({ error: "must be true or false" })
              .default(false)
              .describe(
                "true: the agent's own commands get the same allowlisted network as setup; false (the default): none.",
              ),
          },
          { error: "must be a mapping such as `allow: [pkgs.example.com]`" },
        )
        .default(() => ({ allow: [], agent: false }))
        .describe(
          "What commands may reach on the network: only host names on an allowlist, through Stamina's egress proxy; setup commands always, the agent's commands only with `agent: true`.",
        ),
      approvals: approvalsSchema,
      reviews: reviewsSchema,
      commits: commitsSchema,
      dry_run: z
        .boolean({ error: "must be true or false" })
        .default(false)
        .describe(
          "true: the label runs as `/stamina plan` does: the plan and the diff are posted as one comment and nothing is pushed.",
        ),
      instructions: z
        .string({ error: "must be text (a YAML block such as `instructions: |`)" })
        .trim()
        .max(MAX_INSTRUCTIONS_CHARS, {
          error: `is longer than ${MAX_INSTRUCTIONS_CHARS.toLocaleString("en-US")} characters`,
        })
        .default("")
        .describe(
          "Text for the agent from the maintainers (conventions, where things live, what not to touch). It joins AGENTS.md, CLAUDE.md and .github/copilot-instructions.md, read from the default branch when the run is queued.",
        ),
      context: z
        .strictObject(
          {
            server_side: z
              .boolean({ error: "must be true or false" })
              .default(DEFAULT_CONTEXT_CONFIG.server_side)
              .describe(
                "Let the API clear old tool results and compact the conversation, where the model can, instead of Stamina in batches (off by default: it breaks the prompt cache more often).",
              ),
            keep_tool_results: wholeNumber(1, 100)
              .default(DEFAULT_CONTEXT_CONFIG.keep_tool_results)
              .describe("The last tool results every request carries whole."),
            clear_batch: wholeNumber(1, 100)
              .default(DEFAULT_CONTEXT_CONFIG.clear_batch)
              .describe(
                "Without server-side clearing: how many more tool results than keep_tool_results to wait for, then clear at once.",
              ),
            server_clear_at: wholeNumber(5_000, 1_000_000)
              .default(DEFAULT_CONTEXT_CONFIG.server_clear_at)
              .describe(
                "With server_side: the API clears old tool results past this many input tokens.",
              ),
            server_compact_at: wholeNumber(50_000, 1_000_000)
              .default(DEFAULT_CONTEXT_CONFIG.server_compact_at)
              .describe(
                "With server_side: the API compacts the conversation past this many input tokens.",
              ),
            compact_at: wholeNumber(5_000, 1_000_000)
              .default(DEFAULT_CONTEXT_CONFIG.compact_at)
              .describe(
                "Without server-side compaction: the model summarises the conversation past this many input tokens (estimated), which bounds every request.",
              ),
          },
          { error: "must be a mapping such as `compact_at: 16000`" },
        )
        .default(() => ({ ...DEFAULT_CONTEXT_CONFIG }))
        .describe("How the conversation is kept small on long runs, in tokens."),
      // Consumed by Probot's config loader (org defaults); kept here so it is not "unknown".
      _extends: z
        .string({ error: "must name a repository (text), such as `.github`" })
        .regex(EXTENDS_PATTERN, {
          error:
            "must name a repository as Probot's config loader reads it: `repo` (same owner) or `owner/repo`, either with `:path/to/file.yml` (a file of this same repository too is `repo:path.yml`)",
        })
        .optional()
        .describe(
          'Another repository\'s `.github/stamina.yml` to take defaults from: `repo` (same owner), `owner/repo` or `owner/repo:path.yml`. See "Org defaults" above.',
        ),
    },
    { error: "must be a YAML mapping of settings" },
  )
  .transform(({ _extends: _ignored, ...config }) => config);

export type RepoConfig = z.output<typeof repoConfigSchema>;

/** One problem of a config, where it is: the key's path, and whether the key itself is wrong. */
export interface ConfigProblem {
  /** The path of keys (and list positions) from the top of the file; [] for the file itself. */
  path: Array<string | number>;
  /** "key": the key itself is wrong (unknown, or not a valid name); "value": what it holds. */
  at: "key" | "value";
  /** The problem without the key: `must be at least 1`. */
  message: string;
  /** The sentence a maintainer is shown: "`budget.steps` must be at least 1". */
  text: string;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(readonly issues: ConfigProblem[]) {
    const problems = issues.map((p) => p.text);
    super(`${CONFIG_PATH} is not valid: ${problems.join("; ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Parses raw config (YAML already read) or throws a ConfigError listing every problem. */
export function parseRepoConfig(raw: unknown): RepoConfig {
  const result = repoConfigSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.flatMap(describeIssue));
}

/** One problem per key: an unknown key each on its own, with the known key it is closest to. */
function describeIssue(issue: z.core.$ZodIssue): ConfigProblem[] {
  const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
  if (issue.code === "unrecognized_keys") {
    const where = path.length > 0 ? ` in \`${path.join(".")}\`` : "";
    const known = knownKeysAt(path);
    return issue.keys.map((k) => {
      const near = closest(k, known);
      const hint = near === undefined ? "" : ` (did you mean \`${near}\`?)`;
      return {
        path: [...path, k],
        at: "key",
        message: `unknown key${hint}`,
        text: `unknown key \`${k}\`${where}${hint}`,
      };
    });
  }
  if (path.length === 0) {
    return [{ path, at: "value", message: issue.message, text: `the file ${issue.message}` }];
  }
  const key = `\`${path.join(".")}\``;
  if (issue.code === "invalid_key") {
    const message = "is not a valid environment variable name";
    return [{ path, at: "key", message, text: `${key} ${message}` }];
  }
  return [{ path, at: "value", message: issue.message, text: `${key} ${issue.message}` }];
}

/** The keys the schema knows at a path of nested mappings, for "did you mean". */
function knownKeysAt(path: PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = repoConfigSchema;
  const unwrap = (t: z.core.$ZodType | undefined): z.core.$ZodType | undefined => {
    const def = t?._zod.def as { type?: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def?.type === "default" || def?.type === "optional") return unwrap(def.innerType);
    if (def?.type === "pipe") return unwrap(def.in);
    return t;
  };
  const shapeOf = (t: z.core.$ZodType | undefined) =>
    (unwrap(t)?._zod.def as { shape?: Record<string, z.core.$ZodType> } | undefined)?.shape ?? {};
  for (const part of path) schema = shapeOf(schema)[String(part)];
  return Object.keys(shapeOf(schema));
}

/** The known key within two edits of `key`, if one is. */
function closest(key: string, known: string[]): string | undefined {
  const scored = known.map((name) => ({ name, distance: editDistance(key.toLowerCase(), name) }));
  // The first of the nearest: the sort keeps the schema's order among equals.
  return scored.filter((s) => s.distance <= 2).sort((a, b) => a.distance - b.distance)[0]?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const swap = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + swap);
    }
    previous = current;
  }
  return previous[b.length]!;
}
