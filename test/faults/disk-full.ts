// The workspace disk full: the worker started in a mount namespace of its own (`unshare -m`,
// private propagation, so nothing it mounts is seen outside it) with a small tmpfs over the runs'
// folder, then that tmpfs filled with a ballast file from inside the namespace (`nsenter`) and
// emptied again once the run has given way. Root only (mount needs CAP_SYS_ADMIN).
import { execFileSync } from "node:child_process";
import { findExecutable } from "../../src/sandbox/env.ts";

/** Why the disk cannot be filled here, or null when it can. */
export function diskFullMissing(): string | null {
  if (process.getuid?.() !== 0) return "filling a private tmpfs needs root (mount in unshare -m)";
  for (const program of ["unshare", "nsenter", "mount"]) {
    if (findExecutable(program) === null) {
      return `${program} is not installed, so the disk-full fault cannot run: apt-get install -y util-linux mount`;
    }
  }
  return null;
}

/** The command a worker is started under: its own mount namespace, a tmpfs of `mb` over `dir`. */
export function tmpfsWrap(dir: string, mb: number): string[] {
  const script = `mkdir -p "$0" && mount -t tmpfs -o size=${mb}m stamina-faults "$0" && exec "$@"`;
  return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, dir];
}

/** Fills the tmpfs of the worker `pid` at `dir` to its last byte. */
export function fillDisk(pid: number, dir: string): void {
  inNamespace(pid, `dd if=/dev/zero of="${dir}/ballast" bs=1M 2>/dev/null; sync; df -k "${dir}"`);
}

/** Frees what fillDisk took. */
export function emptyDisk(pid: number, dir: string): void {
  inNamespace(pid, `rm -f "${dir}/ballast"`);
}

function inNamespace(pid: number, script: string): void {
  execFileSync("nsenter", ["-t", String(pid), "-m", "--", "sh", "-c", script], { stdio: "pipe" });
}
