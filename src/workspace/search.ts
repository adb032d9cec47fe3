// Searching the worktree for the agent: ripgrep where it is installed, git
// grep otherwise. Arguments are arrays (the pattern can never be an option),
// the path is confined to the worktree like the editor's, symlinks are not
// followed, and the output is read as a stream and cut at a number of matches,
// so a search that matches every line of a huge tree costs no memory.
import { spawn } from "node:child_process";
import { realpath } from "node:fs/promises";
import { relative } from "node:path";
import { createInterface } from "node:readline";
import { findExecutable, SYSTEM_PATH } from "./env.ts";
import { HARDENING } from "./git-run.ts";
import { resolveInWorktree } from "./paths.ts";

export interface SearchRequest {
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

interface SearchResult {
  engine: "ripgrep" | "git grep";
  /** `path:line:text`, paths relative to the worktree. */
  matches: string[];
  /** More matches exist than maxResults. */
  truncated: boolean;
  /** The engine's complaint (a bad regular expression), when it failed. */
  error: string | null;
}

export interface Searcher {
  readonly engine: "ripgrep" | "git grep";
  search(req: SearchRequest): Promise<SearchResult>;
}

/** A matching line longer than this is cut: minified files would flood the result. */
const LINE_MAX = 300;
const TIMEOUT_MS = 60_000;

export function createSearcher(opts: { worktree: string; ripgrep?: string | null }): Searcher {
  const rg = opts.ripgrep === undefined ? findExecutable("rg") : opts.ripgrep;
  const engine = rg === null ? "git grep" : "ripgrep";
  return {
    engine,
    async search(req) {
      const real = await resolveInWorktree(opts.worktree, req.path ?? ".");
      const target = relative(await realpath(opts.worktree), real) || ".";
      const [file, args] =
        rg === null ? ["git", gitGrepArgs(req, target)] : [rg, ripgrepArgs(req, target)];
      const run = await collectLines(file, args, opts.worktree, req);
      // Both exit 1 for "no match"; 2 (ripgrep) or 128 (git) for an error.
      const failed = run.exitCode !== null && run.exitCode > 1 && run.matches.length === 0;
      return {
        engine,
        matches: run.matches,
        truncated: run.truncated,
        error: failed ? run.stderr.trim() || `${engine} exited with code ${run.exitCode}` : null,
      };
    },
  };
}

function ripgrepArgs(req: SearchRequest, target: string): string[] {
  const args = ["--no-config", "--no-heading", "--line-number", "--color", "never"];
  args.push("--hidden", "--glob", "!.git", "--max-columns", String(LINE_MAX));
  args.push("--max-columns-preview");
  if (req.ignoreCase) args.push("--ignore-case");
  if (req.fixedStrings) args.push("--fixed-strings");
  if (req.glob !== undefined) args.push("--glob", req.glob);
  args.push("--regexp", req.pattern);
  // Without a path ripgrep names files relative to the worktree, as git grep does.
  if (target !== ".") args.push("--", target);
  return args;
}

function gitGrepArgs(req: SearchRequest, target: string): string[] {
  const args = [...HARDENING, "grep", "--line-number", "-I", "--no-color", "--untracked"];
  if (req.ignoreCase) args.push("--ignore-case");
  args.push(req.fixedStrings ? "--fixed-strings" : "--extended-regexp");
  args.push("-e", req.pattern, "--");
  if (req.glob === undefined) args.push(target);
  else args.push(`:(glob)${target === "." ? "" : `${target}/`}**/${req.glob}`);
  return args;
}

interface Collected {
  matches: string[];
  truncated: boolean;
  exitCode: number | null;
  stderr: string;
}

/** Runs the engine and keeps its first `maxResults` lines; the rest is never read. */
function collectLines(
  file: string,
  args: string[],
  cwd: string,
  req: SearchRequest,
): Promise<Collected> {
  const child = spawn(file, args, {
    cwd,
    env: { PATH: SYSTEM_PATH, LANG: "C.UTF-8", GIT_CONFIG_NOSYSTEM: "1", HOME: "/nonexistent" },
    stdio: ["ignore", "pipe", "pipe"],
    signal: req.signal,
    timeout: TIMEOUT_MS,
  });
  const matches: string[] = [];
  let truncated = false;
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    if (stderr.length < 4_000) stderr += chunk.toString("utf8");
  });
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  lines.on("line", (line) => {
    if (matches.length >= req.maxResults) {
      truncated = true;
      lines.close();
      child.kill("SIGKILL");
      return;
    }
    matches.push(line.length > LINE_MAX ? `${line.slice(0, LINE_MAX)} …[line cut]` : line);
  });
  return new Promise((resolve, reject) => {
    child.once("error", (error) => {
      if (error.name === "AbortError") resolve({ matches, truncated, exitCode: null, stderr });
      else reject(error);
    });
    child.once("close", (code) => {
      resolve({ matches, truncated, exitCode: truncated ? 0 : code, stderr });
    });
  });
}
