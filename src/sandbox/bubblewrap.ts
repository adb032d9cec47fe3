// The bubblewrap command line: an explicit list of read-only system paths, a
// synthetic passwd and group, a sized private /tmp, /proc and /dev, the
// worktree and the run's own folders writable, the operator's protected paths
// masked, an unprivileged uid, and nothing else of the host.
//
// Commands run as uid 1000 inside a user namespace, but that uid maps to the
// harness's own uid on the host: to the kernel, a command IS the harness's
// user, and may read whatever that user may (a root harness: everything). That
// is why the view below is an allowlist (and shadow, private keys and the
// protected paths are masked) rather than the host with a few holes punched.
import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { bridgedCommand, EGRESS_SOCKET_INSIDE, proxyEnvironment } from "./egress-bridge.ts";
import { depth, parentsFirst, sharedRepository, within } from "./mount-paths.ts";
import { SANDBOX_GID, SANDBOX_UID, type SandboxUserFiles } from "./sandbox-users.ts";

/** One step of the sandbox's file system; `path` is where it lands inside. */
export interface MountOp {
  path: string;
  args: string[];
  /** A bind shows a host tree at `path`; a mask hides one. */
  kind: "bind" | "mask" | "other";
}

export interface BubblewrapRequest {
  command: string;
  cwd: string;
  env: Record<string, string>;
  /**
   * null: no network at all (a namespace with only loopback). Otherwise the one way out: the
   * egress proxy's socket on the host, bridged inside by socat (egress-bridge.ts).
   */
  egress: { socket: string; socat: string } | null;
  /** Bound read-write: the worktree is added by the caller, HOME and TMPDIR come from env. */
  writablePaths: string[];
  /** Bound read-only (the run's saved outputs). */
  readOnlyPaths: string[];
  /** Masked wherever they lie inside a bound tree (the app's data, key, .env, database). */
  protectedPaths: string[];
  /** The private /tmp's size in bytes; null: bubblewrap's default. */
  tmpBytes: number | null;
}

/**
 * What commands need of /etc, each bound only where it exists: the dynamic linker's cache
 * and config, TLS roots (ssl, ca-certificates, pki), Debian's alternatives (/usr/bin links
 * through them), time zone, name resolution (nsswitch, hosts, resolv.conf, gai.conf),
 * protocols and services, MIME types, the OS release files. Of toolchains: Debian's JDKs keep
 * their config in /etc/java-* (java will not start without it) and Python its sitecustomize
 * in /etc/python3*. Not bound: shell profiles (the shell starts with --noprofile --norc), the
 * system gitconfig (git config is the harness's), package manager and service configs.
 */
const ETC_FILES = [
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "ssl",
  "ca-certificates",
  "ca-certificates.conf",
  "pki",
  "alternatives",
  "localtime",
  "timezone",
  "nsswitch.conf",
  "hosts",
  "host.conf",
  "resolv.conf",
  "gai.conf",
  "protocols",
  "services",
  "mime.types",
  "os-release",
  "debian_version",
];
const ETC_PREFIXES = ["java-", "python3"];
/** Inside bound trees, but never for commands: private TLS keys (readable to a root harness's uid). */
const ALWAYS_MASKED = ["/etc/ssl/private"];

/** The host's system paths as mount steps; computed once per sandbox. */
export function hostSystemMounts(opts: {
  users: SandboxUserFiles;
  extraReadOnlyPaths: string[];
}): MountOp[] {
  const ops: MountOp[] = [bind("/usr", "--ro-bind")];
  // Merged-/usr hosts have these as symlinks into /usr; older ones as real directories.
  for (const path of ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]) {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat?.isSymbolicLink()) {
      ops.push({ path, args: ["--symlink", readlinkSync(path), path], kind: "other" });
    } else if (stat?.isDirectory()) ops.push(bind(path, "--ro-bind"));
  }
  const etc = existsSync("/etc") ? readdirSync("/etc") : [];
  const names = [
    ...ETC_FILES,
    ...etc.filter((n) => ETC_PREFIXES.some((prefix) => n.startsWith(prefix))),
  ];
  for (const name of names) {
    const path = join("/etc", name);
    // A dangling symlink cannot be a bind source; bwrap would refuse to start.
    if (existsSync(path)) ops.push(bind(path, "--ro-bind"));
  }
  ops.push({
    path: "/etc/mtab",
    args: ["--symlink", "../proc/self/mounts", "/etc/mtab"],
    kind: "other",
  });
  ops.push({
    path: "/etc/passwd",
    args: ["--ro-bind", opts.users.passwd, "/etc/passwd"],
    kind: "other",
  });
  ops.push({
    path: "/etc/group",
    args: ["--ro-bind", opts.users.group, "/etc/group"],
    kind: "other",
  });
  for (const path of opts.extraReadOnlyPaths) {
    if (!isAbsolute(path)) throw new Error(`A read-only sandbox path must be absolute: ${path}`);
    if (existsSync(path)) ops.push(bind(path, "--ro-bind"));
  }
  return ops;
}

export function bubblewrapArgs(system: MountOp[], bash: string, req: BubblewrapRequest): string[] {
  // Never --share-net: a command with network reaches the proxy's socket, and nothing else.
  const args = ["--unshare-all"];
  args.push("--unshare-user", "--uid", String(SANDBOX_UID), "--gid", String(SANDBOX_GID));
  args.push("--die-with-parent", "--new-session", "--cap-drop", "ALL");
  const ops: MountOp[] = [...system];
  ops.push({ path: "/proc", args: ["--proc", "/proc"], kind: "other" });
  ops.push({ path: "/dev", args: ["--dev", "/dev"], kind: "other" });
  const size = req.tmpBytes === null ? [] : ["--size", String(req.tmpBytes)];
  ops.push({ path: "/tmp", args: [...size, "--tmpfs", "/tmp"], kind: "other" });
  const writable = parentsFirst([req.cwd, ...req.writablePaths, req.env.HOME, req.env.TMPDIR]);
  for (const path of writable) {
    if (path === "/") throw new Error("The sandbox refuses to make / writable.");
    ops.push(bind(path, "--bind"));
  }
  const readOnly = parentsFirst(req.readOnlyPaths);
  for (const path of readOnly) ops.push(bind(path, "--ro-bind"));
  // The harness authenticates git in this directory: commands may read it, never change
  // its config or hooks. Commits are the harness's job.
  const gitDir = join(req.cwd, ".git");
  if (existsSync(gitDir)) ops.push(bind(gitDir, "--ro-bind"));
  // A worktree of the mirror cache: its repository lives there, read-only here too.
  const shared = sharedRepository(gitDir);
  if (shared !== undefined) ops.push(bind(shared, "--ro-bind"));
  if (req.egress !== null) {
    const to = EGRESS_SOCKET_INSIDE;
    ops.push({ path: to, args: ["--ro-bind", req.egress.socket, to], kind: "other" });
  }
  const visible = [...writable, ...readOnly];
  ops.push(...masks([...ALWAYS_MASKED, ...req.protectedPaths], ops, visible));
  // By depth, parents first: a mask lands on its bound tree, and a bind inside a masked
  // folder (the worktree inside the data folder) lands on the mask. At one path the mask goes
  // last and wins (an extra read-only path that is protected stays hidden); the run's own
  // folders are never masked (see masks), so they stay visible.
  const order = (op: MountOp) => depth(op.path) * 2 + (op.kind === "mask" ? 1 : 0);
  for (const op of ops
    .map((op, i) => ({ op, i }))
    .sort((a, b) => order(a.op) - order(b.op) || a.i - b.i)) {
    args.push(...op.op.args);
  }
  // Last, once every mount point exists: the sandbox's own root stays read-only too.
  args.push("--remount-ro", "/");
  args.push("--clearenv");
  const env = req.egress === null ? req.env : { ...req.env, ...proxyEnvironment() };
  for (const [name, value] of Object.entries(env)) args.push("--setenv", name, value);
  args.push("--chdir", req.cwd, bash);
  if (req.egress === null) args.push("-c", req.command);
  else args.push(...bridgedCommand(req.egress.socat, bash, req.command));
  return args;
}

/** Masks for the protected paths that lie inside a bound tree (a path and where it resolves to). */
function masks(protectedPaths: string[], ops: MountOp[], visible: string[]): MountOp[] {
  const bound = ops.filter((op) => op.kind === "bind").map((op) => op.path);
  const result: MountOp[] = [];
  const seen = new Set<string>();
  for (const given of protectedPaths) {
    if (!isAbsolute(given)) throw new Error(`A protected path must be absolute: ${given}`);
    const stat = statSync(given, { throwIfNoEntry: false });
    if (stat === undefined) continue;
    for (const path of new Set([given, realpathSync(given)])) {
      if (seen.has(path) || visible.includes(path)) continue;
      if (!bound.some((tree) => within(tree, path))) continue;
      seen.add(path);
      const args = stat.isDirectory() ? ["--tmpfs", path] : ["--ro-bind", "/dev/null", path];
      result.push({ path, args, kind: "mask" });
    }
  }
  // A path inside a masked folder is hidden already; its own mask would leave its name there.
  return result.filter(
    (mask) =>
      !result.some(
        (other) => other !== mask && other.path !== mask.path && within(other.path, mask.path),
      ),
  );
}

function bind(path: string, how: "--bind" | "--ro-bind"): MountOp {
  return { path, args: [how, path, path], kind: "bind" };
}
