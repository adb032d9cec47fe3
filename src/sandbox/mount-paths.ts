// Path helpers for the sandbox's mounts: nesting, depth, the order binds
// are made in, and the repository a linked worktree belongs to.
import { existsSync, lstatSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";

/** For a linked worktree (`.git` is a file naming its git dir), the repository it belongs to. */
export function sharedRepository(dotGit: string): string | undefined {
  if (!lstatSync(dotGit, { throwIfNoEntry: false })?.isFile()) return undefined;
  const pointer = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, "utf8"))?.[1]?.trim();
  if (pointer === undefined) return undefined;
  const gitDir = resolve(dirname(dotGit), pointer);
  const common = join(gitDir, "commondir");
  const root = existsSync(common) ? resolve(gitDir, readFileSync(common, "utf8").trim()) : gitDir;
  return existsSync(root) ? root : undefined;
}

export function parentsFirst(paths: (string | undefined)[]): string[] {
  const absolute = paths.filter((p): p is string => p !== undefined && isAbsolute(p));
  return [...new Set(absolute)].sort((a, b) => a.length - b.length);
}

/** True when `path` is `parent` or inside it. */
export function within(parent: string, path: string): boolean {
  const rel = relative(parent, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** How many components a path has: `/` 0, `/etc` 1, `/etc/ssl` 2. */
export function depth(path: string): number {
  return resolve(path)
    .split("/")
    .filter((part) => part.length > 0).length;
}
