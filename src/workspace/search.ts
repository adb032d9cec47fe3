// Searching the worktree for the agent: ripgrep (GNU grep where it is not
// installed), run as a command of the run, in its sandbox. ripgrep opens each
// file by its path, following a folder that a background job swapped for a
// symlink meanwhile; in the sandbox such a link can only lead to what the
// agent's own commands see, never the host. The target is first opened
// through worktree-fs.ts, so a path out of the worktree, into .git or to a
// FIFO is refused in words. Arguments are quoted one by one (the pattern can
// never be an option), and the output is read as a stream and cut at a number
// of matches, so a search that matches every line of a huge tree costs no
// memory. ripgrep honours .gitignore: build output stays out of the answer.
import { ToolInputError } from "./editor-input.ts";
import { findExecutable } from "../sandbox/env.ts";
import type { CommandRequest, Sandbox } from "../sandbox/sandbox.ts";
import { shownPath, withWorktreeEntry } from "./worktree-fs.ts";

export interface SearchRequest {
  /** A regular expression (ripgrep's syntax; Perl-compatible with grep), or plain text. */
  pattern: string;
  /** A file or directory, relative to the worktree or absolute inside it; the whole worktree when absent. */
  path?: string;
  /** Only files whose path matches this glob (`*.ts`, `src/**`). */
  glob?: string;
  ignoreCase: boolean;
  /** The pattern is plain text, not a regular expression. */
  fixedStrings: boolean;
  maxResults: number;
  signal?: AbortSignal;
}

type Engine = "ripgrep" | "grep";

interface SearchResult {
  engine: Engine;
  /** `path:line:text`, paths relative to the worktree. */
  matches: string[];
  /** More matches exist than maxResults. */
  truncated: boolean;
  /** The engine's complaint (a bad regular expression), when it failed. */
  error: string | null;
}

export interface Searcher {
  readonly engine: Engine;
  search(req: SearchRequest): Promise<SearchResult>;
}

export interface SearcherOptions {
  worktree: string;
  /** The run's sandbox: the search is one of the run's commands. */
  sandbox: Sandbox;
  /** The run's command environment (commandEnvironment). */
  env: Record<string, string>;
  /** The run's saved outputs (a command of the sandbox needs one). */
  outputDir: string;
  /** The run's sandbox group. */
  group?: string;
  /** ripgrep's path; null for GNU grep (a test); default: found in the system PATH. */
  ripgrep?: string | null;
}

/** A matching line longer than this is cut: minified files would flood the result. */
const LINE_MAX = 300;
const TIMEOUT_MS = 60_000;

export function createSearcher(opts: SearcherOptions): Searcher {
  const rg = opts.ripgrep === undefined ? findExecutable("rg") : opts.ripgrep;
  const engine: Engine = rg === null ? "grep" : "ripgrep";
  return {
    engine,
    async search(req) {
      const target = await withWorktreeEntry(opts.worktree, req.path ?? ".", "read", (entry) => {
        if (entry === null) {
          throw new ToolInputError(`${shownPath(opts.worktree, req.path ?? ".")} does not exist.`);
        }
        return Promise.resolve(entry.rel);
      });
      const args = rg === null ? grepArgs(req, target) : ripgrepArgs(req, target);
      // ripgrep applies the glob itself; grep's answer is filtered here.
      const wanted = rg === null && req.glob !== undefined ? globMatcher(req.glob) : () => true;
      const run = await collect(opts, [rg ?? "grep", ...args], req, wanted);
      // Both exit 1 for "no match", 2 for an error.
      const failed = run.exitCode !== null && run.exitCode > 1 && run.matches.length === 0;
      return {
        engine,
        matches: run.matches,
        truncated: run.truncated,
        error: failed ? run.other.trim() || `${engine} exited with code ${run.exitCode}` : null,
      };
    },
  };
}

function ripgrepArgs(req: SearchRequest, target: string): string[] {
  const args = ["--no-config", "--no-heading", "--with-filename", "--line-number", "--null"];
  args.push("--color", "never", "--no-messages", "--hidden", "--glob", "!.git");
  args.push("--max-columns", String(LINE_MAX), "--max-columns-preview");
  if (req.ignoreCase) args.push("--ignore-case");
  if (req.fixedStrings) args.push("--fixed-strings");
  if (req.glob !== undefined) args.push("--glob", req.glob);
  return [...args, "--regexp", req.pattern, "--", target];
}

function grepArgs(req: SearchRequest, target: string): string[] {
  // -r, not -R: symlinks met inside are not followed. --null: a NUL ends the file's name.
  const args = ["--recursive", "--with-filename", "--null", "--line-number", "--color=never"];
  args.push("--binary-files=without-match", "--devices=skip", "--no-messages");
  args.push("--exclude-dir=.git", "--exclude-dir=node_modules");
  args.push(req.fixedStrings ? "--fixed-strings" : "--perl-regexp");
  if (req.ignoreCase) args.push("--ignore-case");
  return [...args, "--regexp", req.pattern, "--", target];
}

/**
 * For grep, which has no path globs: a glob as a regular expression over the path from the
 * worktree (`**` spans folders, `*` does not); without a slash, over the file's name.
 */
function globMatcher(glob: string): (path: string) => boolean {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (glob.startsWith("**/", i)) {
      source += "(?:.*/)?";
      i += 2;
    } else if (glob.startsWith("**", i)) {
      source += ".*";
      i += 1;
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "{") source += "(?:";
    else if (c === "}") source += ")";
    else if (c === "," && source.includes("(?:")) source += "|";
    else source += c.replace(/[\\^$.|+()[\]]/g, "\\$&");
  }
  const pattern = new RegExp(`^${source}$`);
  const byName = !glob.includes("/");
  return (path) => pattern.test(byName ? path.slice(path.lastIndexOf("/") + 1) : path);
}

/** One argument for bash, quoted so that nothing in it is read by the shell. */
function quote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

interface Collected {
  matches: string[];
  truncated: boolean;
  exitCode: number | null;
  /** Lines that are not matches: the engine's complaints. */
  other: string;
}

/** Runs the engine in the sandbox and keeps its first `maxResults` matches; the rest is never read. */
async function collect(
  opts: SearcherOptions,
  argv: string[],
  req: SearchRequest,
  wanted: (path: string) => boolean,
): Promise<Collected> {
  const enough = new AbortController();
  const signal = req.signal ? AbortSignal.any([req.signal, enough.signal]) : enough.signal;
  const matches: string[] = [];
  let other = "";
  let truncated = false;
  let pending = "";
  const take = (line: string) => {
    const end = line.indexOf("\0");
    if (end === -1) {
      if (other.length < 4_000) other += `${line}\n`;
      return;
    }
    const path = line.slice(0, end).replace(/^\.\//, "");
    if (!wanted(path)) return;
    if (matches.length >= req.maxResults) {
      truncated = true;
      enough.abort();
      return;
    }
    const found = `${path}:${line.slice(end + 1)}`;
    matches.push(found.length > LINE_MAX ? `${found.slice(0, LINE_MAX)} …[line cut]` : found);
  };
  const request: CommandRequest = {
    command: `exec ${argv.map(quote).join(" ")}`,
    cwd: opts.worktree,
    env: opts.env,
    network: false,
    outputDir: opts.outputDir,
    timeoutMs: TIMEOUT_MS,
    signal,
    ...(opts.group === undefined ? {} : { group: opts.group }),
  };
  const exit = await opts.sandbox.stream(request, (chunk) => {
    if (truncated) return undefined;
    const lines = (pending + chunk.toString("utf8")).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) if (!truncated) take(line);
    return undefined;
  });
  if (pending !== "" && !truncated) take(pending);
  return { matches, truncated, exitCode: truncated ? 0 : exit.exitCode, other };
}
