// The worktree's boundary in words: the error for a path that leaves it or
// enters .git, and resolveInWorktree, which judges a path by where it leads
// now (symlinks resolved, even for files that do not exist yet). Judging is
// not opening: the editor and the search open through worktree-fs.ts, which
// a symlink swapped in meanwhile cannot redirect.
import { lstat, readlink, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

export class PathOutsideWorkspaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PathOutsideWorkspaceError";
  }
}

const MAX_LINKS = 40;

/**
 * The real path that `path` (absolute, or relative to `root`) leads to.
 * Throws PathOutsideWorkspaceError when it leaves the root or enters .git.
 */
export async function resolveInWorktree(root: string, path: string): Promise<string> {
  const realRoot = await realpath(root);
  const requested = isAbsolute(path) ? resolve(path) : resolve(root, path);
  const real = await realpathLoose(requested, 0);
  const rel = relative(realRoot, real);
  if (rel.startsWith("..") || isAbsolute(rel)) throw outsideWorkspace(path, root);
  if (rel.split(sep).some(isGitDir)) throw insideGitDir(path, root);
  return real;
}

export const isGitDir = (part: string): boolean => part.toLowerCase() === ".git";

export function outsideWorkspace(path: string, root: string): PathOutsideWorkspaceError {
  return new PathOutsideWorkspaceError(
    `The path ${path} is outside the workspace. Only files under ${root} can be viewed or edited (give an absolute path under it, or one relative to it).`,
  );
}

export function insideGitDir(path: string, root: string): PathOutsideWorkspaceError {
  return new PathOutsideWorkspaceError(
    `The path ${path} is inside a .git directory, which is outside the editable workspace ${root}. Use git commands through bash to inspect history.`,
  );
}

/** realpath that also resolves paths whose last parts do not exist, and dangling symlinks. */
async function realpathLoose(path: string, links: number): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
  }
  const stat = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return null;
    throw error;
  });
  if (stat?.isSymbolicLink()) {
    // A dangling link: writing through it would create its target, so its target is what counts.
    if (links >= MAX_LINKS)
      throw new PathOutsideWorkspaceError(`Too many symbolic links in ${path}.`);
    return realpathLoose(resolve(dirname(path), await readlink(path)), links + 1);
  }
  const parent = dirname(path);
  if (parent === path) return path;
  return join(await realpathLoose(parent, links), basename(path));
}
