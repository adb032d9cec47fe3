// A run's commands as one group: the processes the sandbox started for it
// (by their cgroups where there are some, else by the process trees it
// knows), frozen while the harness reads the worktree, and all of them killed
// and their cgroups removed when the run lets the group go.
import { existsSync } from "node:fs";
import { groupDirs, removeDirs, setFrozen, type CgroupLayout } from "./cgroup.ts";
import { descendantsOf, killQuietly } from "./process-tree.ts";

/** A run id as a group name: it becomes a folder name. */
const GROUP_NAME = /^[A-Za-z0-9._-]+$/;

export function checkGroup(group: string): string {
  if (!GROUP_NAME.test(group) || group === "." || group === "..") {
    throw new Error(`A sandbox group must match ${String(GROUP_NAME)}: ${JSON.stringify(group)}`);
  }
  return group;
}

export class SandboxGroups {
  /** The processes spawned per group (the wrapper, bwrap or the command), and whether a cgroup holds each. */
  private readonly roots = new Map<string, Map<number, boolean>>();

  constructor(private readonly layout: CgroupLayout) {}

  started(group: string, pid: number, inCgroup: boolean): void {
    const roots = this.roots.get(group) ?? new Map<number, boolean>();
    roots.set(pid, inCgroup);
    this.roots.set(group, roots);
  }

  ended(group: string, pid: number): void {
    this.roots.get(group)?.delete(pid);
  }

  /** Freezes every process of the group; the returned function thaws them. */
  async freeze(group: string): Promise<() => Promise<void>> {
    checkGroup(group);
    const frozen = await this.freezeCgroups(group);
    // Processes outside any cgroup (a command whose cgroup could not be made) by signals.
    const stopped = this.stopTrees(group);
    return async () => {
      // Children before parents: a shell must not see its job stopped.
      for (const pid of [...stopped].reverse()) killQuietly(pid, "SIGCONT");
      for (const thaw of frozen) await thaw();
    };
  }

  /** Kills what is left of the group and removes its cgroups. */
  async release(group: string): Promise<void> {
    checkGroup(group);
    for (const root of this.roots.get(group)?.keys() ?? []) {
      for (const p of descendantsOf(root).reverse()) killQuietly(p.pid);
      killQuietly(-root);
      killQuietly(root);
    }
    this.roots.delete(group);
    await removeDirs(groupDirs(this.layout, group).map((g) => g.dir));
  }

  private async freezeCgroups(group: string): Promise<(() => Promise<void>)[]> {
    const thaws: (() => Promise<void>)[] = [];
    for (const { kind, dir } of groupDirs(this.layout, group)) {
      if (!existsSync(dir) || (kind !== "freezer" && kind !== "v2")) continue;
      await setFrozen(kind, dir, true);
      thaws.push(() => setFrozen(kind, dir, false));
    }
    return thaws;
  }

  /** SIGSTOP to every known tree, parents first, walking again until no new process shows up. */
  private stopTrees(group: string): number[] {
    const stopped: number[] = [];
    const seen = new Set<number>();
    for (let pass = 0; pass < 100; pass++) {
      let fresh = 0;
      for (const [root, inCgroup] of this.roots.get(group) ?? []) {
        if (inCgroup && this.layout.canFreeze) continue; // the freezer holds it
        for (const pid of [root, ...descendantsOf(root).map((p) => p.pid)]) {
          if (seen.has(pid)) continue;
          seen.add(pid);
          killQuietly(pid, "SIGSTOP");
          stopped.push(pid);
          fresh += 1;
        }
      }
      if (fresh === 0) break;
    }
    return stopped;
  }
}
