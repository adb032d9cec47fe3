// The repository config schema: defaults, and errors that name the key.
import { describe, expect, it } from "vitest";
import { DEFAULT_WATCHDOG } from "../../src/agent/watchdog-rules.ts";
import { ConfigError, DEFAULT_MODEL, parseRepoConfig } from "../../src/policy/config.ts";
import { watchdogSettingsOf } from "../../src/agent/config-settings.ts";
import { referenceRows } from "../../src/policy/config-reference.ts";

function problems(raw: unknown): string[] {
  try {
    parseRepoConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("repository config", () => {
  it("fills every default for a missing file", () => {
    expect(parseRepoConfig(null)).toEqual({
      label: "stamina",
      model: DEFAULT_MODEL,
      setup: [],
      build: null,
      commits: { signed: true },
      test: null,
      lint: null,
      budget: { steps: 50, tokens: 5_000_000, dollars: 10, minutes: 120 },
      watchdog: {
        enabled: true,
        repeated_calls: 3,
        repeat_window: 10,
        failing_command: 3,
        out_of_scope_files: 3,
        error_window: 10,
        error_share: 0.5,
        stall_steps: 15,
        pause_within: 30,
      },
      env: {},
      network: { allow: [], agent: false },
      approvals: {
        protected_paths: [".github/workflows/**"],
        max_deleted_files: 20,
        max_deleted_lines: 1_000,
        dependency_manifests: false,
        budget_extension: 0.5,
      },
      reviews: { conversation: "mention" },
      dry_run: false,
      instructions: "",
      context: {
        server_side: false,
        keep_tool_results: 6,
        clear_batch: 10,
        server_clear_at: 20_000,
        server_compact_at: 60_000,
        compact_at: 16_000,
      },
    });
    expect(DEFAULT_MODEL).not.toMatch(/sonnet-4-5/);
  });

  it("takes the watchdog's thresholds, and says which one is wrong", () => {
    const config = parseRepoConfig({ watchdog: { stall_steps: "40", enabled: false } });
    // The agent takes them in its own names, every default filled in.
    expect(watchdogSettingsOf(config.watchdog)).toEqual({
      ...DEFAULT_WATCHDOG,
      enabled: false,
      stallSteps: 40,
    });
    expect(watchdogSettingsOf(parseRepoConfig({}).watchdog)).toEqual(DEFAULT_WATCHDOG);
    expect(() => parseRepoConfig({ watchdog: { error_share: 2, stall: 3 } })).toThrow(
      /unknown key `stall` in `watchdog`.*`watchdog.error_share` must be less than 1|`watchdog.error_share` must be less than 1.*unknown key `stall` in `watchdog`/,
    );
  });

  it("accepts one setup command or a list, and numbers written as text", () => {
    expect(parseRepoConfig({ setup: "npm ci", budget: { steps: "20" } })).toMatchObject({
      setup: ["npm ci"],
      budget: { steps: 20, tokens: 5_000_000, dollars: 10, minutes: 120 },
    });
  });

  it("takes the build, test and lint commands and every budget", () => {
    const config = parseRepoConfig({
      build: "npm run build",
      test: "npm test",
      lint: "npm run lint",
      budget: { tokens: "2000000", dollars: "2.5", minutes: 30 },
    });
    expect(config).toMatchObject({
      build: "npm run build",
      test: "npm test",
      lint: "npm run lint",
      budget: { steps: 50, tokens: 2_000_000, dollars: 2.5, minutes: 30 },
    });
  });

  it("names the budget key that is wrong", () => {
    expect(problems({ budget: { tokens: 10 } })).toEqual([
      "`budget.tokens` must be at least 1,000",
    ]);
    expect(problems({ budget: { dollars: "lots" } })).toEqual([
      "`budget.dollars` must be an amount in US dollars, such as 10 or 2.50",
    ]);
    expect(problems({ budget: { dollars: 0 } })).toEqual(["`budget.dollars` must be more than 0"]);
    expect(problems({ budget: { minutes: 1.5 } })).toEqual([
      "`budget.minutes` must be a whole number",
    ]);
    expect(problems({ budget: { hours: 2 } })).toEqual(["unknown key `hours` in `budget`"]);
    expect(problems({ lint: "" })).toEqual(["`lint` must not be empty"]);
  });

  it("names the key and the problem", () => {
    expect(problems({ budget: { steps: "ten" } })).toEqual([
      "`budget.steps` must be a whole number",
    ]);
    expect(problems({ budget: { steps: 0 } })).toEqual(["`budget.steps` must be at least 1"]);
    expect(problems({ lable: "x" })).toEqual(["unknown key `lable` (did you mean `label`?)"]);
    expect(problems({ setup: [1] })).toEqual(["`setup` must be a command or a list of commands"]);
    expect(problems({ env: { "1BAD": "x" } })).toEqual([
      "`env.1BAD` is not a valid environment variable name",
    ]);
    expect(problems("just text")).toEqual(["the file must be a YAML mapping of settings"]);
  });

  it("refuses a model with no price, and lists the ones it knows", () => {
    const [problem] = problems({ model: "claude-imaginary-9" });
    expect(problem).toMatch(
      /^`model` names a model Stamina has no price for \(claude-imaginary-9\)/,
    );
    expect(problem).toContain(DEFAULT_MODEL);
    expect(problems({ model: "constructor" })[0]).toMatch(
      /^`model` names a model Stamina has no price for/,
    );
    expect(parseRepoConfig({ model: "claude-haiku-4-5-20251001" }).model).toBe(
      "claude-haiku-4-5-20251001",
    );
  });
});

describe("the context key", () => {
  it("takes the context manager's thresholds and names a wrong one", () => {
    expect(parseRepoConfig({ context: { compact_at: "40000", server_side: false } })).toMatchObject(
      { context: { compact_at: 40_000, server_side: false, keep_tool_results: 6 } },
    );
    expect(() => parseRepoConfig({ context: { server_compact_at: 10_000 } })).toThrow(
      "`context.server_compact_at` must be at least 50,000",
    );
    expect(() => parseRepoConfig({ context: { compact: 1 } })).toThrow(
      "unknown key `compact` in `context`",
    );
  });
});

describe("approvals, dry run and instructions", () => {
  it("takes the approval policy, and keeps workflow files protected whatever the list says", () => {
    const config = parseRepoConfig({
      approvals: {
        protected_paths: ["deploy/**", "infra/*.tf"],
        max_deleted_files: "5",
        dependency_manifests: true,
      },
      dry_run: true,
      instructions: "  Keep the API stable.\n",
    });
    expect(config.approvals).toEqual({
      protected_paths: [".github/workflows/**", "deploy/**", "infra/*.tf"],
      max_deleted_files: 5,
      max_deleted_lines: 1_000,
      dependency_manifests: true,
      budget_extension: 0.5,
    });
    expect(config.dry_run).toBe(true);
    expect(config.instructions).toBe("Keep the API stable.");
    expect(
      parseRepoConfig({ approvals: { protected_paths: [] } }).approvals.protected_paths,
    ).toEqual([".github/workflows/**"]);
    // What the store keeps parses again to the same config (a run is read back through the schema).
    expect(parseRepoConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });

  it("names each wrong approval key", () => {
    expect(
      problems({
        approvals: {
          protected_paths: "deploy/**",
          max_deleted_lines: 1.5,
          dependency_manifests: "yes",
          budget_extension: 0,
          max_deleted: 3,
        },
        dry_run: "no",
        instructions: 42,
      }).sort(),
    ).toEqual(
      [
        "`approvals.protected_paths` must be a list of path patterns",
        "`approvals.max_deleted_lines` must be a whole number",
        "`approvals.dependency_manifests` must be true or false",
        "`approvals.budget_extension` must be more than 0",
        "unknown key `max_deleted` in `approvals`",
        "`dry_run` must be true or false",
        "`instructions` must be text (a YAML block such as `instructions: |`)",
      ].sort(),
    );
    expect(problems({ approvals: { max_deleted_fils: 3 } })).toEqual([
      "unknown key `max_deleted_fils` in `approvals` (did you mean `max_deleted_files`?)",
    ]);
  });

  it("takes which conversation comments start a review round, and names a wrong one", () => {
    expect(parseRepoConfig({ reviews: { conversation: "all" } }).reviews).toEqual({
      conversation: "all",
    });
    expect(parseRepoConfig({ reviews: {} }).reviews).toEqual({ conversation: "mention" });
    expect(problems({ reviews: { conversation: "everyone" } })).toEqual([
      "`reviews.conversation` must be `mention` or `all`",
    ]);
    expect(problems({ reviews: { conversations: "all" } })).toEqual([
      "unknown key `conversations` in `reviews` (did you mean `conversation`?)",
    ]);
    expect(problems({ reviews: "mention" })).toEqual([
      "`reviews` must be a mapping such as `conversation: mention`",
    ]);
  });

  it("gives every key a description", () => {
    const undescribed = referenceRows().filter((row) => row.description.trim() === "");
    expect(undescribed.map((row) => row.key)).toEqual([]);
  });
});
