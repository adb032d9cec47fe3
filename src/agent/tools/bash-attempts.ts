// What an auditor sees of a command that tries what the sandbox makes
// impossible by its structure: reading the environment for secrets (the
// sandbox's environment holds none of the app's), naming a path the sandbox
// hides (the app's data, keys and database are not there), pushing with git
// (commands hold no credentials and have no way to GitHub; only the harness
// pushes, to the run's own branch, under the push guard). The sandbox is what
// blocks each; these are the audit trail, read from the command's text, and
// decide nothing: the command runs as it would anyway.
import { isAbsolute, relative, resolve } from "node:path";

export interface CommandAttempt {
  /** The structural control that stops it: `sandbox.environment`, `sandbox.paths`, `sandbox.push`. */
  control: string;
  detail: string;
}

export interface AttemptContext {
  worktree: string;
  /** Paths the sandbox hides from every command, wherever they are. */
  hidden: readonly string[];
  /** The run's own folders, which the sandbox shows although they lie inside a hidden one. */
  shown: readonly string[];
}

// `env` or `set` alone (a listing, not `env X=1 cmd` or `set -e`), printenv, export -p, declare -x
// or -p, compgen -v, and any process's environ file.
const ENVIRONMENT =
  /(?:^|[\s;&|(`])(?:(?:env|set)(?=\s*(?:$|[;&|)`>]))|printenv\b|export\s+-p\b|declare\s+-[xp]\b|compgen\s+-v\b)|\/proc\/[^\s/]+\/environ/;
const PUSH = /(?:^|[\s;&|(`])git\b[^;&|\n]*\spush\b/;

const within = (parent: string, path: string) => {
  const rel = relative(parent, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/** The hidden paths a command names, as the paths it names them by (relative to the worktree). */
function hiddenNamed(command: string, context: AttemptContext): string[] {
  const named = new Set<string>();
  for (const token of command.split(/[\s'"`;&|<>()=]+/)) {
    if (!token.includes("/") || token.startsWith("~") || token.includes("$")) continue;
    const path = resolve(context.worktree, token);
    if (context.shown.some((dir) => within(dir, path))) continue;
    if (context.hidden.some((dir) => within(dir, path))) named.add(token);
  }
  return [...named];
}

/** What the command tries that the sandbox blocks by its structure; none for most commands. */
export function structuralAttempts(command: string, context: AttemptContext): CommandAttempt[] {
  const attempts: CommandAttempt[] = [];
  if (ENVIRONMENT.test(command)) {
    attempts.push({
      control: "sandbox.environment",
      detail:
        "A command read its environment: the sandbox gives commands an environment of their own, which holds none of the app's secrets.",
    });
  }
  const hidden = hiddenNamed(command, context);
  if (hidden.length > 0) {
    attempts.push({
      control: "sandbox.paths",
      detail: `A command named ${hidden.map((p) => `\`${p}\``).join(", ")}, which the sandbox hides: the app's data, keys and database are not there for any command.`,
    });
  }
  if (PUSH.test(command)) {
    attempts.push({
      control: "sandbox.push",
      detail:
        "A command ran `git push`: commands hold no credentials and have no way to GitHub; only the harness pushes, to the run's own branch, under the push guard.",
    });
  }
  return attempts;
}
