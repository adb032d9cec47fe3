// What counts as reading: the one notion the health signals (rereads after a compaction) and the
// watchdog (a first read is progress, a reread is not) share. A read is a call that only looks:
// the editor's `view` (keyed by the file, and the lines when it asked for a range, since paging
// through a long file reads new text), the `search` tool (keyed by its input), or a bash command
// line made only of commands that look (cat, head, ls, grep, git log ...; keyed by the command
// line, spaces collapsed). A call that failed read nothing.
import { canonicalJson } from "../canonical-json.ts";

export interface CallFacts {
  name: string;
  input: unknown;
  isError: boolean;
  /** bash's exit code; absent for other tools. */
  exitCode?: unknown;
}

const EDITOR = "str_replace_based_edit_tool";

/** Commands that only look at the worktree, whatever their arguments (but see `writes`). */
const LOOKERS = new Set([
  "cat",
  "head",
  "tail",
  "less",
  "more",
  "nl",
  "ls",
  "tree",
  "find",
  "grep",
  "egrep",
  "fgrep",
  "rg",
  "wc",
  "file",
  "stat",
  "sort",
  "uniq",
  "cut",
  "tr",
]);

/** Commands a looking line may hold that read nothing themselves. */
const NEUTRAL = new Set(["cd", "pwd", "echo", "true"]);

/** git's subcommands that only look. */
const GIT_LOOKERS = new Set([
  "log",
  "show",
  "diff",
  "status",
  "grep",
  "blame",
  "ls-files",
  "ls-tree",
]);

/** A redirect into a file (not `2>&1` or into /dev/null), a substitution, find's actions. */
const WRITES =
  /(^|[^0-9&])>(?!\s*\/dev\/null)|\d>(?!&|\s*\/dev\/null)|\$\(|`|\s-(?:exec|execdir|delete|ok)\b|\bsed\s+(?:\S+\s+)*-i/;

/** What one command of a line does: it looks, it does nothing that counts, or something else. */
function kind(segment: string): "looks" | "neutral" | "other" {
  const words = segment.trim().split(/\s+/);
  // Leading assignments (LC_ALL=C grep ...) do not change what the command is.
  while (words.length > 0 && /^\w+=/.test(words[0] ?? "")) words.shift();
  const [command, sub] = words;
  if (command === undefined || command === "" || NEUTRAL.has(command)) return "neutral";
  if (command === "git") return sub !== undefined && GIT_LOOKERS.has(sub) ? "looks" : "other";
  if (command === "sed") return words.includes("-n") ? "looks" : "other";
  return LOOKERS.has(command) ? "looks" : "other";
}

/**
 * The command line only looks: every command in it (between `&&`, `||`, `;`, `|` and newlines)
 * looks or does nothing that counts (cd, echo), and one of them looks.
 */
function onlyLooks(line: string): boolean {
  if (WRITES.test(line)) return false;
  const kinds = line.split(/&&|\|\||;|\||\n/).map(kind);
  return kinds.includes("looks") && !kinds.includes("other");
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** The editor's path, without a leading `./` and repeated slashes. */
function pathKey(path: string): string {
  return path.replace(/\/{2,}/g, "/").replace(/^(\.\/)+/, "");
}

/**
 * What a call read, as keys that are equal when the same thing is read again: none for a call
 * that is not a read, or that failed (a tool error, a command exiting non-zero).
 */
export function readsOf(call: CallFacts): string[] {
  if (call.isError) return [];
  if (typeof call.exitCode === "number" && call.exitCode !== 0) return [];
  const input = typeof call.input === "object" && call.input !== null ? call.input : {};
  const fields = input as Record<string, unknown>;
  if (call.name === EDITOR && fields.command === "view") {
    const path = text(fields.path);
    if (path === undefined) return [];
    const range = fields.view_range;
    const lines = Array.isArray(range) ? `#${range.map(String).join("-")}` : "";
    return [`file:${pathKey(path)}${lines}`];
  }
  if (call.name === "search") return [`search:${canonicalJson(call.input ?? null)}`];
  if (call.name === "bash") {
    const command = text(fields.command);
    if (command === undefined || !onlyLooks(command)) return [];
    return [`command:${command.replace(/\s+/g, " ")}`];
  }
  return [];
}
