// Runs git in the harness process, the only place that authenticates: a fresh
// token per network command travels as an `http.extraHeader` on the command
// line, never in a file, a URL or the environment, and never in an error.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SYSTEM_PATH } from "../sandbox/env.ts";

export interface GitOptions {
  cwd: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Asked right before the command runs, so every network command gets a fresh token. */
  token?: () => Promise<string>;
  /** Extra variables (author identity and the like). Never a secret: use `token`. */
  env?: Record<string, string>;
}

export class GitError extends Error {
  constructor(
    readonly subcommand: string,
    message: string,
    readonly exitCode: number | null,
    /** stderr with secrets scrubbed, the last lines only. */
    readonly stderr: string,
  ) {
    super(message);
    this.name = "GitError";
  }
}

// Every git command the harness runs carries these. The repository's own config
// is guarded (git-config-guard.ts) and nested repositories are left out
// (worktree-guard.ts); these settings are the belt over that: no hook, no
// fsmonitor, no credential helper, no signing program, no transport but
// https, http and local paths, and no recursion into submodules, whose config
// is the repository's to write.
const HARDENING = [
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "core.fsmonitor=false",
  "-c",
  "core.attributesFile=/dev/null",
  "-c",
  "credential.helper=",
  "-c",
  "commit.gpgSign=false",
  "-c",
  "tag.gpgSign=false",
  "-c",
  "push.gpgSign=false",
  "-c",
  "protocol.allow=never",
  "-c",
  "protocol.https.allow=always",
  "-c",
  "protocol.http.allow=always",
  "-c",
  "protocol.file.allow=always",
  "-c",
  "submodule.recurse=false",
  "-c",
  "fetch.recurseSubmodules=false",
  "-c",
  "push.recurseSubmodules=no",
  "-c",
  "diff.ignoreSubmodules=all",
  "-c",
  "status.submoduleSummary=false",
  "-c",
  "gc.auto=0",
  "-c",
  "maintenance.auto=false",
];
const MAX_BUFFER = 64 * 1024 * 1024;
const ERROR_LINES = 20;

let home: Promise<string> | undefined;

/** An empty HOME shared by every git command of this process: no user config applies. */
function gitHome(): Promise<string> {
  home ??= mkdtemp(join(tmpdir(), "stamina-git-home-"));
  return home;
}

export async function runGit(
  args: string[],
  opts: GitOptions,
): Promise<{ stdout: string; stderr: string }> {
  const subcommand = subcommandOf(args);
  const secrets: string[] = [];
  const auth: string[] = [];
  if (opts.token !== undefined) {
    const token = await opts.token();
    const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
    secrets.push(token, basic);
    // The empty value first clears any header a config file might have added.
    auth.push("-c", "http.extraHeader=", "-c", `http.extraHeader=Authorization: Basic ${basic}`);
  }
  const env = await gitEnv(opts);
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      [...HARDENING, ...auth, ...args],
      {
        cwd: opts.cwd,
        env,
        signal: opts.signal,
        timeout: opts.timeoutMs,
        maxBuffer: MAX_BUFFER,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ stdout, stderr });
          return;
        }
        // execFile's own message holds the whole command line, header included: never reuse it.
        const detail = lastLines(scrub(stderr.trim() || stdout.trim(), secrets));
        const code = typeof error.code === "number" ? error.code : null;
        let message: string;
        if (error.name === "AbortError") message = `git ${subcommand} was cancelled`;
        else if (error.killed && opts.timeoutMs !== undefined) {
          message = `git ${subcommand} timed out after ${Math.round(opts.timeoutMs / 1000)} s`;
        } else if (error.code === "ENOENT") message = "git is not installed (not found on PATH)";
        else if (code !== null) message = `git ${subcommand} failed with exit code ${code}`;
        else message = `git ${subcommand} was killed by ${error.signal ?? "a signal"}`;
        reject(new GitError(subcommand, detail ? `${message}: ${detail}` : message, code, detail));
      },
    );
  });
}

async function gitEnv(opts: GitOptions): Promise<Record<string, string>> {
  return {
    PATH: process.env.PATH ?? SYSTEM_PATH,
    HOME: await gitHome(),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_ATTR_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    LANG: "C.UTF-8",
    ...opts.env,
  };
}

/**
 * A local git command (never a network one: no token) with `input` on its stdin and its stdout
 * handed over as bytes, chunk by chunk, for output too large or too binary for runGit
 * (`cat-file --batch`). Hardened as runGit is.
 */
export async function streamGit(
  args: string[],
  opts: Omit<GitOptions, "token">,
  input: Buffer,
  onStdout: (chunk: Buffer) => void,
): Promise<void> {
  const subcommand = subcommandOf(args);
  const child = await spawnGit(args, opts);
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stdout.on("data", onStdout);
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-8_192);
    });
    child.stdin.on("error", () => undefined);
    child.on("error", (error) => reject(spawnError(subcommand, error)));
    child.on("close", (code, signal) => {
      if (code === 0) return resolve();
      const detail = lastLines(scrub(stderr.trim(), []));
      const message =
        code !== null
          ? `git ${subcommand} failed with exit code ${code}`
          : `git ${subcommand} was killed by ${signal ?? "a signal"}`;
      reject(new GitError(subcommand, detail ? `${message}: ${detail}` : message, code, detail));
    });
    child.stdin.end(input);
  });
}

/**
 * A local git process (never a network one: no token) with its stdin, stdout and stderr as
 * pipes, hardened as runGit's are: for `streamGit`, and for git kept running beside a run
 * (`cat-file --batch`, object-reader.ts). It reads what is here: an object missing from a
 * partial clone is not fetched for it.
 */
export async function spawnGit(
  args: string[],
  opts: Omit<GitOptions, "token">,
): Promise<ChildProcessWithoutNullStreams> {
  const env = { ...(await gitEnv(opts)), GIT_NO_LAZY_FETCH: "1" };
  return spawn("git", [...HARDENING, ...args], {
    cwd: opts.cwd,
    env,
    signal: opts.signal,
    timeout: opts.timeoutMs,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** What a git process that could not be started, or was cancelled, is reported as. */
export function spawnError(subcommand: string, error: Error): GitError {
  const message =
    error.name === "AbortError"
      ? `git ${subcommand} was cancelled`
      : `git ${subcommand}: ${error.message}`;
  return new GitError(subcommand, message, null, "");
}

/** The git subcommand among global options (`-c k=v`, `-C dir`), for messages. */
function subcommandOf(args: string[]): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "-c" || arg === "-C") i++;
    else if (!arg.startsWith("-")) return arg;
  }
  return "(none)";
}

export function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join("***");
  // Whatever echoed a header or a credential URL, in case it is not one of ours.
  return out
    .replace(/(authorization:\s*(?:basic|bearer|token))\s+\S+/gi, "$1 ***")
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, "$1***@");
}

function lastLines(text: string): string {
  const lines = text.split("\n");
  return lines.length <= ERROR_LINES ? text : ["…", ...lines.slice(-ERROR_LINES)].join("\n");
}
