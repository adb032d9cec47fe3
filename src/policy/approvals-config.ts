// The `approvals` part of the repository config: what a run must ask a writer
// before it goes on. Each key's description is its contract with the approval gate.
import { z } from "zod";

/** Workflow files: the app has no `workflows` permission, so a change there always needs a writer. */
const ALWAYS_PROTECTED = ".github/workflows/**";

/**
 * Dependency manifests and lockfiles, by file name in any folder: what `dependency_manifests`
 * turns on.
 */
export const DEPENDENCY_MANIFESTS = [
  "package.json",
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lockb",
  "requirements*.txt",
  "pyproject.toml",
  "poetry.lock",
  "Pipfile",
  "Pipfile.lock",
  "uv.lock",
  "go.mod",
  "go.sum",
  "Cargo.toml",
  "Cargo.lock",
  "Gemfile",
  "Gemfile.lock",
  "composer.json",
  "composer.lock",
  "pom.xml",
  "build.gradle",
  "build.gradle.kts",
];

const DEFAULT_APPROVALS_CONFIG = {
  protected_paths: [ALWAYS_PROTECTED],
  max_deleted_files: 20,
  max_deleted_lines: 1_000,
  dependency_manifests: false,
  budget_extension: 0.5,
};

const glob = z
  .string({ error: "must be a path pattern (text) such as `deploy/**`" })
  .trim()
  .min(1, { error: "must not be empty" })
  .max(500, { error: "is longer than 500 characters" });

function limit(max: number) {
  return z.coerce
    .number({ error: "must be a whole number" })
    .int({ error: "must be a whole number" })
    .min(0, { error: "must be at least 0" })
    .max(max, { error: `must be at most ${max.toLocaleString("en-US")}` });
}

export const approvalsSchema = z
  .strictObject(
    {
      protected_paths: z
        .array(glob, { error: "must be a list of path patterns" })
        .max(200, { error: "must list at most 200 patterns" })
        .transform((paths) => [ALWAYS_PROTECTED, ...paths.filter((p) => p !== ALWAYS_PROTECTED)])
        .default(() => [...DEFAULT_APPROVALS_CONFIG.protected_paths])
        .describe(
          "Path patterns (from the repository root; `*` within a folder, `**` across folders) whose change needs a writer's approval before it is pushed. `.github/workflows/**` is always protected, listed or not; the list adds more.",
        ),
      max_deleted_files: limit(1_000_000)
        .default(DEFAULT_APPROVALS_CONFIG.max_deleted_files)
        .describe(
          "A change that deletes more than this many files (counted over the run's diff against the commit it started from) needs a writer's approval.",
        ),
      max_deleted_lines: limit(100_000_000)
        .default(DEFAULT_APPROVALS_CONFIG.max_deleted_lines)
        .describe(
          "A change that deletes more than this many lines (counted like `max_deleted_files`) needs a writer's approval.",
        ),
      dependency_manifests: z
        .boolean({ error: "must be true or false" })
        .default(DEFAULT_APPROVALS_CONFIG.dependency_manifests)
        .describe(
          "true: a change to a dependency manifest or lockfile (package.json, package-lock.json, yarn.lock, pnpm-lock.yaml, requirements*.txt, pyproject.toml, poetry.lock, go.mod, go.sum, Cargo.toml, Cargo.lock, Gemfile, composer.json, pom.xml, build.gradle and the like, in any folder) needs a writer's approval.",
        ),
      budget_extension: z.coerce
        .number({ error: "must be a share such as 0.5" })
        .positive({ error: "must be more than 0" })
        .max(10, { error: "must be at most 10" })
        .default(DEFAULT_APPROVALS_CONFIG.budget_extension)
        .describe(
          "When a budget runs out the run waits for a writer: `/stamina approve` gives each budget (steps, tokens, dollars, minutes) this share of its configured amount again (0.5: half as much more) and the run goes on; `/stamina deny` ends it as out of budget.",
        ),
    },
    { error: "must be a mapping such as `max_deleted_files: 20`" },
  )
  .default(() => ({
    ...DEFAULT_APPROVALS_CONFIG,
    protected_paths: [...DEFAULT_APPROVALS_CONFIG.protected_paths],
  }))
  .describe(
    "What a run must ask a writer before it goes on. It waits in `awaiting_approval` with a comment that says what is asked; `/stamina approve` lets the change through, `/stamina deny` rolls it back to the last checkpoint and the run goes on without it.",
  );
