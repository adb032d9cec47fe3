// The bubblewrap command line: a read-only view of the system, a private /tmp,
// /proc and /dev, the worktree and the run's own folders writable, and nothing
// else of the host, so the app's key, data and environment stay out of reach.
import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";

export interface BubblewrapRequest {
  command: string;
  cwd: string;
  env: Record<string, string>;
  network: boolean;
  /** Bound read-write: the worktree is added by the caller, HOME and TMPDIR come from env. */
  writablePaths: string[];
  /** Bound read-only after the writable ones (the run's saved outputs). */
  readOnlyPaths: string[];
}

/** The host's system directories as bubblewrap arguments; computed once per sandbox. */
export function hostSystemArgs(): string[] {
  const args = ["--ro-bind", "/usr", "/usr"];
  // Merged-/usr hosts have these as symlinks into /usr; older ones as real directories.
  for (const path of ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]) {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat?.isSymbolicLink()) args.push("--symlink", readlinkSync(path), path);
    else if (stat?.isDirectory()) args.push("--ro-bind", path, path);
  }
  args.push("--ro-bind", "/etc", "/etc");
  // resolv.conf often points into /run, which is otherwise hidden; DNS needs it with network.
  if (existsSync("/etc/resolv.conf")) {
    const target = realpathSync("/etc/resolv.conf");
    if (!within("/etc", target) && !within("/usr", target)) {
      args.push("--ro-bind", target, target);
    }
  }
  for (const secret of ["/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-"]) {
    if (existsSync(secret)) args.push("--ro-bind", "/dev/null", secret);
  }
  return args;
}

export function bubblewrapArgs(system: string[], bash: string, req: BubblewrapRequest): string[] {
  const args = ["--unshare-all"];
  if (req.network) args.push("--share-net");
  args.push("--die-with-parent", "--new-session", "--cap-drop", "ALL", ...system);
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
  const writable = [req.cwd, ...req.writablePaths, req.env.HOME, req.env.TMPDIR];
  for (const path of parentsFirst(writable)) {
    if (path === "/") throw new Error("The sandbox refuses to make / writable.");
    args.push("--bind", path, path);
  }
  for (const path of parentsFirst(req.readOnlyPaths)) args.push("--ro-bind", path, path);
  // The harness authenticates git in this directory: commands may read it, never change
  // its config or hooks. Commits are the harness's job.
  const gitDir = join(req.cwd, ".git");
  if (existsSync(gitDir)) args.push("--ro-bind", gitDir, gitDir);
  // A worktree of the mirror cache: its repository lives there, read-only here too.
  const shared = sharedRepository(gitDir);
  if (shared !== undefined) args.push("--ro-bind", shared, shared);
  // Last, once every mount point exists: the sandbox's own root stays read-only too.
  args.push("--remount-ro", "/");
  args.push("--clearenv");
  for (const [name, value] of Object.entries(req.env)) args.push("--setenv", name, value);
  args.push("--chdir", req.cwd, bash, "-c", req.command);
  return args;
}

/** True when `bwrap` exists and can start a sandbox here (user namespaces may be off). */
export function bubblewrapUsable(bwrap: string, bash: string): boolean {
  const cwd = mkdtempSync(join(tmpdir(), "stamina-bwrap-probe-"));
  try {
    execFileSync(bwrap, ["--version"], { stdio: "ignore", timeout: 10_000 });
    const trial = bubblewrapArgs(hostSystemArgs(), bash, {
      command: "true",
      cwd,
      env: {},
      network: false,
      writablePaths: [],
      readOnlyPaths: [],
    });
    execFileSync(bwrap, trial, { stdio: "ignore", timeout: 10_000, env: {} });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** For a linked worktree (`.git` is a file naming its git dir), the repository it belongs to. */
function sharedRepository(dotGit: string): string | undefined {
  if (!lstatSync(dotGit, { throwIfNoEntry: false })?.isFile()) return undefined;
  const pointer = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, "utf8"))?.[1]?.trim();
  if (pointer === undefined) return undefined;
  const gitDir = resolve(dirname(dotGit), pointer);
  const common = join(gitDir, "commondir");
  const root = existsSync(common) ? resolve(gitDir, readFileSync(common, "utf8").trim()) : gitDir;
  return existsSync(root) ? root : undefined;
}

function parentsFirst(paths: (string | undefined)[]): string[] {
  const absolute = paths.filter((p): p is string => p !== undefined && isAbsolute(p));
  return [...new Set(absolute)].sort((a, b) => a.length - b.length);
}

function within(parent: string, path: string): boolean {
  const rel = relative(parent, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}
