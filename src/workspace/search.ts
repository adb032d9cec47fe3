// Searching the worktree for the agent, with GNU grep. Arguments are arrays
// (the pattern can never be an option), and the output is read as a stream
// and cut at a number of matches, so a search that matches every line of a
// huge tree costs no memory. The target is opened through worktree-fs.ts and
// grep is handed no path it could be redirected from: a folder becomes the
// child's cwd through its fd (`/proc/self/fd/<N>`), a file its stdin. Inside
// a folder, grep -r walks with openat and O_NOFOLLOW from each folder's fd and
// skips FIFOs, sockets and devices, so a folder swapped for a symlink during
// the walk is not entered (ripgrep and git grep open every file by its path
// from the cwd, following any symlink in it: they are not used).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { ToolInputError } from "./editor-input.ts";
import { SYSTEM_PATH } from "./env.ts";
import { fdPath, shownPath, withWorktreeEntry, type WorktreeEntry } from "./worktree-fs.ts";

export interface SearchRequest {
  /** A Perl-compatible regular expression (grep -P), or plain text with fixedStrings. */
  pattern: string;
  /** A file or directory, relative to the worktree or absolute inside it; the whole worktree when absent. */
  path?: string;
  /** Only files whose path relative to the worktree matches this glob (`*.ts`, `src/**`); without a slash, the file's name. */
  glob?: string;
  ignoreCase: boolean;
  /** The pattern is plain text, not a regular expression. */
  fixedStrings: boolean;
  maxResults: number;
  signal?: AbortSignal;
}

interface SearchResult {
  engine: "grep";
  /** `path:line:text`, paths relative to the worktree. */
  matches: string[];
  /** More matches exist than maxResults. */
  truncated: boolean;
  /** The engine's complaint (a bad regular expression), when it failed. */
  error: string | null;
}

export interface Searcher {
  readonly engine: "grep";
  search(req: SearchRequest): Promise<SearchResult>;
}

/** A matching line longer than this is cut: minified files would flood the result. */
const LINE_MAX = 300;
const TIMEOUT_MS = 60_000;

export function createSearcher(opts: { worktree: string }): Searcher {
  return {
    engine: "grep",
    search: (req) =>
      withWorktreeEntry(opts.worktree, req.path ?? ".", "read", async (entry) => {
        if (entry === null) {
          throw new ToolInputError(`${shownPath(opts.worktree, req.path ?? ".")} does not exist.`);
        }
        const run = await collectLines(grepArgs(req, entry), entry, req);
        // grep exits 1 for "no match", 2 for an error.
        const failed = run.exitCode !== null && run.exitCode > 1 && run.matches.length === 0;
        return {
          engine: "grep",
          matches: run.matches,
          truncated: run.truncated,
          error: failed ? run.stderr.trim() || `grep exited with code ${run.exitCode}` : null,
        };
      }),
  };
}

function grepArgs(req: SearchRequest, entry: WorktreeEntry): string[] {
  const args = ["--line-number", "--binary-files=without-match", "--color=never"];
  args.push("--devices=skip", req.fixedStrings ? "--fixed-strings" : "--perl-regexp");
  if (req.ignoreCase) args.push("--ignore-case");
  if (entry.stat.isFile()) return [...args, "--regexp", req.pattern, "--", "-"];
  // -r, not -R: symlinks met inside are not followed. --null: a NUL ends the file's name.
  args.push("--recursive", "--null", "--exclude-dir=.[gG][iI][tT]", "--exclude-dir=node_modules");
  const glob = req.glob;
  if (glob !== undefined && !/[/{]/.test(glob)) args.push(`--include=${glob}`);
  return [...args, "--regexp", req.pattern, "--", "."];
}

/** A glob as a regular expression over a worktree-relative path (`**` spans folders, `*` does not). */
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

/** grep's line as `path:line:text` with the path from the worktree root; null when the glob excludes it. */
function lineMapper(req: SearchRequest, entry: WorktreeEntry): (line: string) => string | null {
  const wanted = req.glob === undefined ? () => true : globMatcher(req.glob);
  if (entry.stat.isFile()) return (line) => (wanted(entry.rel) ? `${entry.rel}:${line}` : null);
  const prefix = entry.rel === "." ? "" : `${entry.rel}/`;
  return (line) => {
    const end = line.indexOf("\0");
    if (end === -1) return null; // not a match line
    const path = prefix + line.slice(0, end).replace(/^\.\//, "");
    return wanted(path) ? `${path}:${line.slice(end + 1)}` : null;
  };
}

interface Collected {
  matches: string[];
  truncated: boolean;
  exitCode: number | null;
  stderr: string;
}

/** Runs the engine and keeps its first `maxResults` lines; the rest is never read. */
function collectLines(
  args: string[],
  entry: WorktreeEntry,
  req: SearchRequest,
): Promise<Collected> {
  const folder = entry.stat.isDirectory();
  const map = lineMapper(req, entry);
  // libuv changes into the cwd in the child, where the fd is still open, before grep starts.
  const child = spawn("grep", args, {
    cwd: folder ? fdPath(entry.handle.fd) : "/",
    env: { PATH: SYSTEM_PATH, LANG: "C.UTF-8" },
    stdio: [folder ? "ignore" : entry.handle.fd, "pipe", "pipe"],
    signal: req.signal,
    timeout: TIMEOUT_MS,
  });
  const { stdout, stderr: errors } = child;
  if (stdout === null || errors === null) throw new Error("grep started without its pipes");
  const matches: string[] = [];
  let truncated = false;
  let stderr = "";
  errors.on("data", (chunk: Buffer) => {
    if (stderr.length < 4_000) stderr += chunk.toString("utf8");
  });
  const lines = createInterface({ input: stdout, crlfDelay: Infinity });
  lines.on("line", (raw) => {
    const line = map(raw);
    if (line === null) return;
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
