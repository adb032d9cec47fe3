// Control groups for the sandbox's memory and process limits and for freezing
// a run: found once per process (cgroup v2 where memory and pids are
// delegated, else the v1 memory, pids and freezer hierarchies where writable),
// always under this process's own cgroup, in `stamina/<group>/<command>`.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { ZERO_COUNTERS, type LimitCounters } from "./limits.ts";

const ROOT = "/sys/fs/cgroup";

/** One hierarchy: v2's unified one, or one v1 controller's. `base` is our `stamina` folder. */
interface Hierarchy {
  kind: "v2" | "memory" | "pids" | "freezer";
  base: string;
}

export interface CgroupLayout {
  version: "v2" | "v1" | "none";
  hierarchies: Hierarchy[];
  /** Whether a group can be frozen through a cgroup (else signals do it). */
  canFreeze: boolean;
  /** Why no cgroup is used (version "none"), in words for the operator. */
  problem: string | null;
}

let detected: CgroupLayout | undefined;

/** The layout, found (and set up) once per process. */
export function cgroupLayout(): CgroupLayout {
  detected ??= detect();
  return detected;
}

function detect(): CgroupLayout {
  try {
    const own = ownCgroups();
    const layout = existsSync(join(ROOT, "cgroup.controllers")) ? setUpV2(own) : setUpV1(own);
    trial(layout);
    return layout;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { version: "none", hierarchies: [], canFreeze: false, problem: reason };
  }
}

/** `/proc/self/cgroup` as controller (v2: "") → path. */
function ownCgroups(): Map<string, { mount: string; path: string }> {
  const found = new Map<string, { mount: string; path: string }>();
  for (const line of readFileSync("/proc/self/cgroup", "utf8").trim().split("\n")) {
    const [, controllers = "", path = "/"] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (controllers === "") found.set("", { mount: ROOT, path });
    for (const name of controllers.split(","))
      found.set(name, { mount: join(ROOT, controllers), path });
  }
  return found;
}

function setUpV2(own: Map<string, { mount: string; path: string }>): CgroupLayout {
  const self = own.get("");
  if (self === undefined) throw new Error("this process has no cgroup v2 path");
  const dir = join(ROOT, self.path);
  const available = readFileSync(join(dir, "cgroup.controllers"), "utf8").split(/\s+/);
  const missing = ["memory", "pids"].filter((c) => !available.includes(c));
  if (missing.length > 0) {
    throw new Error(`cgroup v2 does not delegate ${missing.join(" and ")} to ${dir}`);
  }
  if (!enabled(dir).includes("memory") || !enabled(dir).includes("pids")) {
    try {
      writeFileSync(join(dir, "cgroup.subtree_control"), "+memory +pids");
    } catch {
      // No internal processes: below the root, controllers reach children only once our own
      // cgroup holds no process, so this process moves into a leaf of its own first (as
      // delegated services do). Other processes in it make this fail, and the caller says so.
      const leaf = join(dir, "stamina-harness");
      mkdirSync(leaf, { recursive: true });
      writeFileSync(join(leaf, "cgroup.procs"), String(process.pid));
      writeFileSync(join(dir, "cgroup.subtree_control"), "+memory +pids");
    }
  }
  const base = join(dir, "stamina");
  mkdirSync(base, { recursive: true });
  writeFileSync(join(base, "cgroup.subtree_control"), "+memory +pids");
  return { version: "v2", hierarchies: [{ kind: "v2", base }], canFreeze: true, problem: null };
}

function enabled(dir: string): string[] {
  return readFileSync(join(dir, "cgroup.subtree_control"), "utf8").split(/\s+/);
}

function setUpV1(own: Map<string, { mount: string; path: string }>): CgroupLayout {
  const hierarchies: Hierarchy[] = [];
  for (const kind of ["memory", "pids", "freezer"] as const) {
    const entry = own.get(kind);
    if (entry === undefined || !existsSync(join(entry.mount, "cgroup.procs"))) {
      if (kind === "freezer") continue;
      throw new Error(`the cgroup v1 ${kind} controller is not mounted`);
    }
    const base = join(entry.mount, entry.path, "stamina");
    try {
      mkdirSync(base, { recursive: true });
    } catch (error) {
      if (kind === "freezer") continue;
      throw new Error(`cannot create ${base}: ${(error as Error).message}`);
    }
    hierarchies.push({ kind, base });
  }
  const canFreeze = hierarchies.some((h) => h.kind === "freezer");
  return { version: "v1", hierarchies, canFreeze, problem: null };
}

/** A cgroup made, limited, joined by nobody and removed: proves the layout is writable. */
function trial(layout: CgroupLayout): void {
  const name = `.probe-${process.pid}-${Date.now()}`;
  const made: string[] = [];
  try {
    for (const h of layout.hierarchies) {
      const dir = join(h.base, name);
      mkdirSync(dir);
      made.push(dir);
      writeLimits(h, dir, 64 * 1024 * 1024, 64);
    }
  } finally {
    for (const dir of made) rmdirSync(dir);
  }
}

function writeLimits(h: Hierarchy, dir: string, memory: number, pids: number): void {
  if (h.kind === "v2") {
    writeFileSync(join(dir, "memory.max"), String(memory));
    // Swap would let a command go past its memory limit: none, as v1's memsw below.
    if (existsSync(join(dir, "memory.swap.max"))) writeFileSync(join(dir, "memory.swap.max"), "0");
    writeFileSync(join(dir, "pids.max"), String(pids));
  } else if (h.kind === "memory") {
    writeFileSync(join(dir, "memory.limit_in_bytes"), String(memory));
    const memsw = join(dir, "memory.memsw.limit_in_bytes");
    if (existsSync(memsw)) writeFileSync(memsw, String(memory));
  } else if (h.kind === "pids") {
    writeFileSync(join(dir, "pids.max"), String(pids));
  }
}

/** One command's (or one shell's) cgroups, one per hierarchy. */
export interface CommandCgroup {
  /** The `cgroup.procs` files a process writes its pid to, before it execs the command. */
  procsFiles: string[];
  counters(): LimitCounters;
  /** The host pids in it now. */
  members(): number[];
  /** Its processes as the pids controller counts them (killed ones until reaped); null: unknown. */
  pidsCurrent(): number | null;
  /** Freezes or thaws it where a freezer is at hand; false: no freezer. */
  setFrozen(frozen: boolean): Promise<boolean>;
  /** Kills what is left and removes the cgroups; never throws. */
  remove(): Promise<void>;
}

/**
 * Makes `stamina/<group>` (with the run's limits, once) and `stamina/<group>/<name>` with the
 * command's. Throws when a cgroup cannot be made; the caller runs without one.
 */
export function createCommandCgroup(
  layout: CgroupLayout,
  group: string,
  name: string,
  limits: { memory: number; processes: number; runMemory: number; runProcesses: number },
): CommandCgroup {
  const dirs: { h: Hierarchy; group: string; dir: string }[] = [];
  try {
    for (const h of layout.hierarchies) {
      const groupDir = join(h.base, group);
      if (!existsSync(groupDir)) {
        mkdirSync(groupDir, { recursive: true });
        writeLimits(h, groupDir, limits.runMemory, limits.runProcesses);
        if (h.kind === "v2")
          writeFileSync(join(groupDir, "cgroup.subtree_control"), "+memory +pids");
      }
      const dir = join(groupDir, name);
      mkdirSync(dir);
      dirs.push({ h, group: groupDir, dir });
      writeLimits(h, dir, limits.memory, limits.processes);
    }
  } catch (error) {
    void removeDirs(dirs.map((d) => d.dir));
    throw error;
  }
  const cgroup: CommandCgroup = {
    procsFiles: dirs.map((d) => join(d.dir, "cgroup.procs")),
    counters: () => countersOf(dirs),
    members: () => [...new Set(dirs.flatMap((d) => procsOf(d.dir)))],
    pidsCurrent: () => {
      const pids = dirs.find((d) => d.h.kind === "pids" || d.h.kind === "v2");
      return pids === undefined ? null : numberIn(join(pids.dir, "pids.current"));
    },
    setFrozen: async (frozen) => {
      const freezer = dirs.find((d) => d.h.kind === "freezer" || d.h.kind === "v2");
      if (freezer === undefined) return false;
      try {
        await setFrozen(freezer.h.kind, freezer.dir, frozen);
        return true;
      } catch {
        return false; // removed meanwhile: nothing left to freeze
      }
    },
    remove: () => removeDirs(dirs.map((d) => d.dir)),
  };
  return cgroup;
}

function countersOf(dirs: { h: Hierarchy; group: string; dir: string }[]): LimitCounters {
  const counters: LimitCounters = { ...ZERO_COUNTERS };
  for (const { h, group, dir } of dirs) {
    // A kill or a refused fork may show in the command's cgroup, the run's, or both (v2's
    // counters are hierarchical): the sum changes either way. Whose limit it was is told by
    // the command's own peak (v1) or its own `max` event (v2).
    if (h.kind === "v2") {
      const own = keyed(join(dir, "memory.events"));
      counters.oomKills +=
        (own.oom_kill ?? 0) + (keyed(join(group, "memory.events")).oom_kill ?? 0);
      counters.ownMemoryLimit = (own.max ?? 0) > 0;
    } else if (h.kind === "memory") {
      counters.oomKills +=
        (keyed(join(dir, "memory.oom_control")).oom_kill ?? 0) +
        (keyed(join(group, "memory.oom_control")).oom_kill ?? 0);
      const peak = numberIn(join(dir, "memory.max_usage_in_bytes"));
      const limit = numberIn(join(dir, "memory.limit_in_bytes"));
      counters.ownMemoryLimit = peak === null || limit === null || peak >= limit * 0.95;
    }
    if (h.kind === "v2" || h.kind === "pids") {
      counters.pidsMax +=
        (keyed(join(dir, "pids.events")).max ?? 0) + (keyed(join(group, "pids.events")).max ?? 0);
      const peak = numberIn(join(dir, "pids.peak"));
      const limit = numberIn(join(dir, "pids.max"));
      counters.ownProcessLimit = peak === null || limit === null || peak >= limit;
    }
  }
  return counters;
}

/** A file holding one number; null when it is missing or holds something else ("max"). */
function numberIn(file: string): number | null {
  try {
    const value = Number(readFileSync(file, "utf8").trim());
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

/** A `key value` file as numbers; missing file or key: nothing. */
function keyed(file: string): Record<string, number> {
  const values: Record<string, number> = {};
  try {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const [key, value] = line.trim().split(/\s+/);
      if (key !== undefined && value !== undefined) values[key] = Number(value);
    }
  } catch {
    return values; // gone, or this kernel has no such counter
  }
  return values;
}

function procsOf(dir: string): number[] {
  try {
    return readFileSync(join(dir, "cgroup.procs"), "utf8")
      .split("\n")
      .filter((line) => /^\d+$/.test(line))
      .map(Number);
  } catch {
    return []; // already removed
  }
}

function killCgroup(dir: string): void {
  try {
    // v2 kills a whole subtree at once where the kernel has cgroup.kill.
    if (existsSync(join(dir, "cgroup.kill"))) writeFileSync(join(dir, "cgroup.kill"), "1");
  } catch {
    // removed meanwhile; the loop below finds nothing either
  }
  for (const pid of procsOf(dir)) killPid(pid);
}

/** Freezes or thaws one cgroup (v1 freezer or v2) and waits, up to 5 s, until it has settled. */
export async function setFrozen(
  kind: Hierarchy["kind"],
  dir: string,
  frozen: boolean,
): Promise<void> {
  if (kind === "freezer") {
    const state = join(dir, "freezer.state");
    const want = frozen ? "FROZEN" : "THAWED";
    writeFileSync(state, want);
    await until(() => readFileSync(state, "utf8").trim() === want);
  } else if (kind === "v2") {
    writeFileSync(join(dir, "cgroup.freeze"), frozen ? "1" : "0");
    const want = new RegExp(`^frozen ${frozen ? 1 : 0}$`, "m");
    await until(() => want.test(readFileSync(join(dir, "cgroup.events"), "utf8")));
  }
}

/**
 * Waits up to five seconds for `check`, looking again soon at first: a freeze usually takes
 * hold within a millisecond, and a step waits on it twice.
 */
async function until(check: () => boolean): Promise<void> {
  const deadline = performance.now() + 5_000;
  for (let wait = 0; !check() && performance.now() < deadline; wait = Math.min(20, wait * 2 || 1)) {
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

function killPid(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    return; // gone already
  }
}

/** Removes cgroup folders, deepest first, killing their processes and waiting for them to go. */
export async function removeDirs(dirs: string[]): Promise<void> {
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
    for (let attempt = 0; attempt < 50; attempt++) {
      if (!existsSync(dir)) break;
      for (const child of subfolders(dir)) await removeDirs([child]);
      killCgroup(dir);
      try {
        rmdirSync(dir);
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
}

function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

/** A group's folders in every hierarchy (they may not exist). */
export function groupDirs(
  layout: CgroupLayout,
  group: string,
): { kind: Hierarchy["kind"]; dir: string }[] {
  return layout.hierarchies.map((h) => ({ kind: h.kind, dir: join(h.base, group) }));
}
