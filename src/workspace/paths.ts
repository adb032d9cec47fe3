// The worktree's boundary in words: the error for a path that leaves it or
// enters .git. Where a path leads is worktree-fs.ts's to find, as it opens
// it, so that a symlink swapped in meanwhile cannot redirect it.

export class PathOutsideWorkspaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PathOutsideWorkspaceError";
  }
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
